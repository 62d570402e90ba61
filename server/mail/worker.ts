import { z } from 'zod';
import type { AppServices } from '../app-services.js';
import { appendEvent } from '../events/append.js';
import { readSettings } from '../settings/settings.repository.js';
import type { EmailTemplateName } from '../../emails/templates.js';
import { backoffDelay } from '../../shared/backoff.js';
import { PgListener } from '../db/pg-listener.js';
import { loadEmailRenderer, type EmailRenderer } from './renderer.js';
import { readTemplateOverrides } from './template-overrides.js';
import { OUTBOX_CHANNEL } from './outbox.js';
import { claimDue, markFailed, markSent, scheduleRetry, setMessageId, type ClaimedRow } from './outbox.repository.js';
import { inLanes } from './lanes.js';
import { countedMailStats } from '../metrics.js';
import { createTransportFromConfig, isPermanentSmtpError, resolveSender, type MailTransport, type OutgoingEmail } from './transports.js';

export interface MailWorkerOptions {
  /** Connection string for the LISTEN connection (the pool cannot hold a LISTEN). */
  databaseUrl: string;
  /** Defaults to SMTP when SMTP_URL is set, else the built-in mailbox. */
  transport?: MailTransport;
  pollMs?: number;
  /** Rows claimed per round trip. */
  batchSize?: number;
  /** Emails of one batch sent at the same time (SMTP). */
  concurrency?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long a claimed row stays reserved for this worker; another may take it over afterwards. */
  leaseMs?: number;
  /** Wake on NOTIFY 'admit_outbox' (default true); polling works either way. */
  listen?: boolean;
  /** A name for log lines (several workers in one process in tests). */
  name?: string;
}

export interface MailWorkerStats {
  sent: number;
  retried: number;
  failed: number;
}

export interface MailWorker {
  readonly transport: MailTransport;
  readonly stats: MailWorkerStats;
  /** When the worker last polled the outbox (epoch ms; null before the first poll), for /readyz. */
  readonly lastPollAt: number | null;
  start(): Promise<void>;
  /** Stops polling and listening, waits for the emails in flight, closes the transport. */
  stop(): Promise<void>;
  /** Processes due rows until none is left; resolves with how many rows this call handled. */
  drain(): Promise<number>;
  /** Asks for a drain soon (coalesces with one already running). */
  wake(): void;
}

const addressSchema = z.email();

/** The delay before retrying after the n-th attempt (n ≥ 1): base·2^(n-1), capped, with jitter (shared/backoff.ts). */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return backoffDelay(attempt - 1, { baseMs, maxMs }, random);
}

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/[\u0000-\u001f]+/g, ' ').slice(0, 1000);
}

class PermanentMailError extends Error {}

/** host:port of SMTP_URL, for logs (never the credentials). */
function smtpHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'smtp';
  }
}

export function createMailWorker(app: AppServices, opts: MailWorkerOptions): MailWorker {
  const transport = opts.transport ?? createTransportFromConfig(app.config, app.log);
  const pollMs = opts.pollMs ?? app.config.mailPollMs;
  const batchSize = opts.batchSize ?? 25;
  const concurrency = transport.kind === 'smtp' ? (opts.concurrency ?? 4) : 1;
  const retryBaseMs = opts.retryBaseMs ?? app.config.mailRetryBaseMs;
  const retryMaxMs = opts.retryMaxMs ?? 60 * 60_000;
  const leaseMs = opts.leaseMs ?? 5 * 60_000;
  const name = opts.name ?? 'mail';
  const stats: MailWorkerStats = countedMailStats({ sent: 0, retried: 0, failed: 0 });

  let renderer: EmailRenderer | null = null;
  let lastPollAt: number | null = null;
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = true;
  // Set by stop(): finish the batch in hand, claim no more.
  let closing = false;
  let timer: NodeJS.Timeout | null = null;
  const listener =
    opts.listen === false
      ? null
      : new PgListener({
          databaseUrl: opts.databaseUrl,
          channel: OUTBOX_CHANNEL,
          log: app.log,
          logFields: { worker: name },
          // Polling goes on meanwhile, so reconnecting need not hurry.
          reconnect: { baseMs: Math.max(pollMs, 1000), maxMs: Math.max(pollMs, 30_000) },
          messages: { lost: 'mail worker lost its LISTEN connection; polling until it is back', reconnected: 'mail worker is listening again' },
          onNotification: () => {
            if (!stopped) wake();
          },
          onReady: (reconnected) => {
            if (reconnected) wake();
          },
        });

  function claim(): Promise<ClaimedRow[]> {
    return claimDue(app.em(), app.clock.now(), batchSize, leaseMs);
  }

  async function recordSent(tx: Parameters<typeof markSent>[0], row: ClaimedRow): Promise<void> {
    await appendEvent(tx, 'email.sent', { outboxId: Number(row.id), template: row.template, to: row.to_address }, { actorId: null, userId: row.user_id });
  }

  async function recordFailure(row: ClaimedRow, error: unknown, permanent: boolean): Promise<void> {
    const now = app.clock.now();
    const text = errorText(error);
    const last = permanent || row.attempts >= row.max_attempts;
    await app.em().transactional(async (tx) => {
      if (!last) {
        await scheduleRetry(tx, row, new Date(now.getTime() + retryDelayMs(row.attempts, retryBaseMs, retryMaxMs)), text, now);
        return;
      }
      if (await markFailed(tx, row, text, now)) {
        await appendEvent(tx, 'email.failed', { outboxId: Number(row.id), template: row.template, to: row.to_address, error: text }, { actorId: null, userId: row.user_id });
      }
    });
    if (last) {
      stats.failed++;
      app.log.warn('email failed for good', { worker: name, outboxId: Number(row.id), template: row.template, attempts: row.attempts, error: text });
    } else {
      stats.retried++;
      app.log.warn('email not sent, will retry', { worker: name, outboxId: Number(row.id), template: row.template, attempt: row.attempts, error: text });
    }
  }

  function render(row: ClaimedRow, ctx: BatchContext): OutgoingEmail {
    if (!addressSchema.safeParse(row.to_address).success || /[\r\n]/.test(row.to_address)) {
      throw new PermanentMailError('Invalid recipient address');
    }
    if (!renderer!.has(row.template)) throw new PermanentMailError(`Unknown email template "${row.template}"`);
    const override = ctx.overrides[row.template as EmailTemplateName];
    const rendered = renderer!.renderUntyped(row.template, row.variables ?? {}, {
      portalName: ctx.portalName,
      publicUrl: ctx.publicUrl,
      subject: override?.subject ?? null,
      mainText: override?.mainText ?? null,
    });
    return { outboxId: Number(row.id), template: row.template, from: ctx.from, to: row.to_address, ...rendered };
  }

  function lostLease(row: ClaimedRow) {
    app.log.warn('outbox row was taken over by another worker after its lease ran out', { worker: name, outboxId: Number(row.id) });
  }

  /** Renders and delivers one claimed batch; the rows that went out are marked in one transaction. */
  async function processBatch(rows: ClaimedRow[], ctx: BatchContext): Promise<void> {
    const failures: { row: ClaimedRow; error: unknown; permanent: boolean }[] = [];
    const ready: { row: ClaimedRow; msg: OutgoingEmail }[] = [];
    for (const row of rows) {
      try {
        ready.push({ row, msg: render(row, ctx) });
      } catch (e) {
        failures.push({ row, error: e, permanent: true });
      }
    }

    if (transport.kind === 'smtp') {
      const sent: { row: ClaimedRow; msg: OutgoingEmail; messageId: string | null }[] = [];
      const smtp = transport;
      await inLanes(
        ready,
        concurrency,
        (item) => smtp.send(item.msg),
        (item, info) => sent.push({ ...item, messageId: info.messageId }),
        (item, e) => failures.push({ row: item.row, error: e, permanent: isPermanentSmtpError(e) }),
      );
      try {
        const owned = await app.em().transactional(async (tx) => {
          const owned = await markSent(tx, app.clock.now(), sent.map((s) => ({ row: s.row, subject: s.msg.subject, messageId: s.messageId })));
          for (const s of sent) if (owned.has(s.row.id)) await recordSent(tx, s.row);
          return owned;
        });
        for (const s of sent) if (!owned.has(s.row.id)) lostLease(s.row);
        stats.sent += owned.size;
      } catch (e) {
        for (const s of sent) failures.push({ row: s.row, error: e, permanent: false });
      }
    } else {
      // The mailbox write and the "sent" mark share one transaction: delivered exactly once.
      const mailbox = transport;
      for (const item of ready) {
        try {
          const delivered = await app.em().transactional(async (tx) => {
            const owned = await markSent(tx, app.clock.now(), [{ row: item.row, subject: item.msg.subject, messageId: null }]);
            if (!owned.has(item.row.id)) return false;
            const { messageId } = await mailbox.deliver(tx, item.msg);
            await setMessageId(tx, item.row.id, messageId);
            await recordSent(tx, item.row);
            return true;
          });
          if (delivered) stats.sent++;
          else lostLease(item.row);
        } catch (e) {
          failures.push({ row: item.row, error: e, permanent: false });
        }
      }
    }

    for (const f of failures) {
      await recordFailure(f.row, f.error, f.permanent || f.error instanceof PermanentMailError).catch((e) =>
        app.log.error('could not record an email failure; the row will be retried after its lease', { worker: name, outboxId: Number(f.row.id), error: e }),
      );
    }
  }

  interface BatchContext {
    portalName: string;
    publicUrl: string;
    from: { name: string; address: string };
    overrides: Awaited<ReturnType<typeof readTemplateOverrides>>;
  }

  async function batchContext(): Promise<BatchContext> {
    const em = app.em();
    const [settings, overrides] = await Promise.all([readSettings(em), readTemplateOverrides(em)]);
    const publicUrl = app.publicUrl();
    return { portalName: settings.portalName, publicUrl, from: resolveSender(app.config, settings, publicUrl), overrides };
  }

  async function runOnce(): Promise<number> {
    renderer ??= await loadEmailRenderer();
    let handled = 0;
    for (;;) {
      const rows = await claim();
      lastPollAt = Date.now();
      if (rows.length === 0) return handled;
      const ctx = await batchContext();
      await processBatch(rows, ctx);
      handled += rows.length;
      if (rows.length < batchSize || closing) return handled;
    }
  }

  function drain(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    const run = (async () => {
      let total = 0;
      try {
        do {
          again = false;
          total += await runOnce();
        } while (again && !stopped);
      } finally {
        running = null;
      }
      return total;
    })();
    running = run;
    return run;
  }

  function wake() {
    drain().catch((e) => app.log.error('mail worker round failed', { worker: name, error: e }));
  }

  return {
    transport,
    stats,
    get lastPollAt() {
      return lastPollAt;
    },
    drain,
    wake,
    async start() {
      if (!stopped) return;
      stopped = false;
      closing = false;
      renderer = await loadEmailRenderer();
      app.log.info(
        transport.kind === 'smtp'
          ? 'mail worker started: sending over SMTP'
          : 'mail worker started: no SMTP_URL, emails go to the built-in mailbox (Admin > Mailbox) and their links to this log',
        { worker: name, ...(transport.kind === 'smtp' && app.config.smtpUrl ? { server: smtpHost(app.config.smtpUrl) } : {}) },
      );
      await listener?.start({ retryFirst: true });
      if (listener && !listener.connected) app.log.warn('mail worker could not LISTEN; polling only for now', { worker: name });
      timer = setInterval(() => wake(), pollMs);
      timer.unref();
      wake();
    },
    async stop() {
      stopped = true;
      closing = true;
      if (timer) clearInterval(timer);
      timer = null;
      await listener?.stop();
      await running?.catch(() => undefined);
      await transport.close();
    },
  };
}
