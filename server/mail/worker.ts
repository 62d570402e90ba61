import { z } from 'zod';
import type { AppServices } from '../app-services.js';
import { appendEvent } from '../events/append.js';
import { readSettings } from '../settings/settings.repository.js';
import { DEFAULT_MAX_ATTEMPTS, retryDelayMs } from './retry-schedule.js';
import { PgListener } from '../db/pg-listener.js';
import { loadEmailRenderer, type EmailRenderer } from './renderer.js';
import { readTemplateOverrides } from './template-overrides.js';
import { OUTBOX_CHANNEL } from './outbox.js';
import { claimDue, markFailed, markSent, renewLeases, scheduleRetry, setMessageId, type ClaimedRow } from './outbox.repository.js';
import { inLanes } from './lanes.js';
import { addSuppression, isRecipientBounce } from './suppression.js';
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
  /**
   * How long a claim lasts unless renewed (default 30 s). A heartbeat renews the claims in hand
   * every third of it, so a crashed or restarted worker's claims are free again within one lease.
   */
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

export { retryDelayMs, DEFAULT_MAX_ATTEMPTS };
export const DEFAULT_LEASE_MS = 30_000;

/**
 * The stable Message-ID of an outbox row: the row id at the sender's domain. A re-send after a
 * crash (the server accepted the message but the worker died before recording it) carries the
 * same id, so it can be recognised (and dropped by receivers that deduplicate).
 */
export function outboxMessageId(outboxId: number | string, senderAddress: string): string {
  const at = senderAddress.lastIndexOf('@');
  const domain = (at >= 0 ? senderAddress.slice(at + 1) : '').replace(/[^A-Za-z0-9.-]/g, '') || 'localhost';
  return `<admit-outbox-${outboxId}@${domain}>`;
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
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  // The claims in hand (id → attempt), renewed by the heartbeat until each is settled.
  const held = new Map<string, number>();
  let heartbeat: NodeJS.Timeout | null = null;
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

  async function claim(): Promise<ClaimedRow[]> {
    const rows = await claimDue(app.em(), app.clock.now(), batchSize, leaseMs);
    for (const r of rows) held.set(r.id, r.attempts);
    return rows;
  }

  function settled(row: ClaimedRow) {
    held.delete(row.id);
  }

  async function renew(): Promise<void> {
    if (held.size === 0) return;
    const list = [...held].map(([id, attempts]) => ({ id, attempts }));
    await renewLeases(app.em(), list, new Date(app.clock.now().getTime() + leaseMs));
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
        await scheduleRetry(tx, row, new Date(now.getTime() + retryDelayMs(row.attempts, retryBaseMs)), text, now);
        return;
      }
      if (await markFailed(tx, row, text, now)) {
        await appendEvent(
          tx,
          'email.failed',
          { outboxId: Number(row.id), template: row.template, to: row.to_address, error: text },
          { actorId: null, userId: row.user_id },
        );
        // A 5xx to RCPT TO refuses the address itself: nothing more goes to it (the suppression list).
        if (permanent && isRecipientBounce(error)) await addSuppression(tx, { address: row.to_address, reason: text, source: 'bounce', createdById: null });
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
    const override = ctx.overrides[row.template];
    const rendered = renderer!.renderUntyped(row.template, row.variables ?? {}, {
      portalName: ctx.portalName,
      publicUrl: ctx.publicUrl,
      subject: override?.subject ?? null,
      mainText: override?.mainText ?? null,
    });
    return {
      outboxId: Number(row.id),
      messageId: outboxMessageId(row.id, ctx.from.address),
      template: row.template,
      from: ctx.from,
      to: row.to_address,
      ...rendered,
    };
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
      // Each acceptance is recorded as it happens: a crash re-sends at most the messages in flight
      // (they carry the row's stable Message-ID), never the batch.
      const smtp = transport;
      await inLanes(
        ready,
        concurrency,
        async (item) => {
          const info = await smtp.send(item.msg);
          await recordAccepted(item.row, item.msg, info.messageId);
        },
        () => undefined,
        (item, e) => failures.push({ row: item.row, error: e, permanent: isPermanentSmtpError(e) }),
      );
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
          settled(item.row);
          if (delivered) stats.sent++;
          else lostLease(item.row);
        } catch (e) {
          failures.push({ row: item.row, error: e, permanent: false });
        }
      }
    }

    for (const f of failures) {
      settled(f.row);
      await recordFailure(f.row, f.error, f.permanent || f.error instanceof PermanentMailError).catch((e: unknown) =>
        app.log.error('could not record an email failure; the row will be retried after its lease', { worker: name, outboxId: Number(f.row.id), error: e }),
      );
    }
  }

  // Acceptances waiting for their "sent" mark, and the mark transaction running now (if any).
  type Accepted = { row: ClaimedRow; msg: OutgoingEmail; messageId: string | null; done: () => void };
  const toMark: Accepted[] = [];
  let marking: Promise<void> | null = null;

  /**
   * Marks one row sent right after the SMTP server accepted it, and resolves once that is committed.
   * Acceptances that arrive while a mark transaction commits go together in the next one (a group
   * commit: one transaction and one event-append lock for the acceptances of the moment, not one
   * per email); no acceptance waits for the rest of its batch. The message is out: a failure to
   * record it is retried a few times, never reported as a send failure (that would send it again).
   */
  function recordAccepted(row: ClaimedRow, msg: OutgoingEmail, messageId: string | null): Promise<void> {
    return new Promise<void>((done) => {
      toMark.push({ row, msg, messageId, done });
      marking ??= (async () => {
        try {
          while (toMark.length) await markGroup(toMark.splice(0));
        } finally {
          marking = null;
        }
      })();
    });
  }

  async function markGroup(group: Accepted[]): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        const owned = await app.em().transactional(async (tx) => {
          const owned = await markSent(
            tx,
            app.clock.now(),
            group.map((a) => ({ row: a.row, subject: a.msg.subject, messageId: a.messageId || a.msg.messageId || null })),
          );
          for (const a of group) if (owned.has(a.row.id)) await recordSent(tx, a.row);
          return owned;
        });
        for (const a of group) {
          settled(a.row);
          if (owned.has(a.row.id)) stats.sent++;
          else lostLease(a.row);
          a.done();
        }
        return;
      } catch (e) {
        if (i >= 2) {
          for (const a of group) {
            settled(a.row);
            app.log.error('email accepted by the SMTP server but not recorded as sent; it may be sent again after its lease (same Message-ID)', {
              worker: name,
              outboxId: Number(a.row.id),
              messageId: a.msg.messageId,
              error: e,
            });
            a.done();
          }
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * (i + 1)));
      }
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
    let handled = 0;
    for (;;) {
      const rows = await claim();
      lastPollAt = Date.now();
      if (rows.length === 0) return handled;
      try {
        // Templates are compiled (and MJML loaded) for the first email, not at start: the heartbeat keeps these claims meanwhile.
        renderer ??= await loadEmailRenderer();
        const ctx = await batchContext();
        await processBatch(rows, ctx);
      } finally {
        // Whatever happened, the heartbeat stops renewing this batch: an unsettled row's lease runs out.
        for (const r of rows) settled(r);
      }
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
        // `again` is set by drain() calls made while this round runs.
        const takeAgain = () => {
          const requested = again;
          again = false;
          return requested;
        };
        again = false;
        do {
          total += await runOnce();
        } while (takeAgain() && !stopped);
      } finally {
        running = null;
      }
      return total;
    })();
    running = run;
    return run;
  }

  function wake() {
    drain().catch((e: unknown) => app.log.error('mail worker round failed', { worker: name, error: e }));
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
      heartbeat = setInterval(
        () => {
          renew().catch((e: unknown) => app.log.warn('could not renew the outbox leases', { worker: name, error: e }));
        },
        Math.max(10, Math.floor(leaseMs / 3)),
      );
      heartbeat.unref();
      wake();
    },
    async stop() {
      stopped = true;
      closing = true;
      if (timer) clearInterval(timer);
      timer = null;
      await listener?.stop();
      await running?.catch(() => undefined);
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      await transport.close();
    },
  };
}
