import { z } from 'zod';
import type { AppServices } from '../app-services.js';
import { appendEvent, appendEvents, type EventToAppend } from '../events/append.js';
import { settingsFromValues } from '../settings/settings.repository.js';
import { DEFAULT_MAX_ATTEMPTS, retryDelayMs } from './retry-schedule.js';
import { PgListener } from '../db/pg-listener.js';
import { loadEmailRenderer, type EmailRenderer } from './renderer.js';
import { templateOverridesFrom } from './template-overrides.js';
import { OUTBOX_CHANNEL } from './outbox.js';
import { claimDue, markFailed, markSent, markSentWithEvents, renewLeases, scheduleRetry, setMessageId, type ClaimedRow } from './outbox.repository.js';
import { feedLanes, type LaneFeed } from './lanes.js';
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
 * Accepted emails an SMTP lane may have waiting for their "sent" mark while it sends the next one.
 * With the one in flight, a crash (kill -9) re-sends at most 1 + this many emails per lane.
 */
export const UNMARKED_PER_LANE = 2;

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

  async function claim(): Promise<{ rows: ClaimedRow[]; settings: Record<string, unknown> }> {
    const claimed = await claimDue(app.em(), app.clock.now(), batchSize, leaseMs);
    for (const r of claimed.rows) held.set(r.id, r.attempts);
    return claimed;
  }

  function settled(row: ClaimedRow) {
    held.delete(row.id);
  }

  async function renew(): Promise<void> {
    if (held.size === 0) return;
    const list = [...held].map(([id, attempts]) => ({ id, attempts }));
    await renewLeases(app.em(), list, new Date(app.clock.now().getTime() + leaseMs));
  }

  function sentEvent(row: ClaimedRow): EventToAppend {
    return { type: 'email.sent', data: { outboxId: Number(row.id), template: row.template, to: row.to_address }, userId: row.user_id };
  }

  async function recordSent(tx: Parameters<typeof markSent>[0], row: ClaimedRow): Promise<void> {
    await appendEvents(tx, [sentEvent(row)], { actorId: null });
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

  /** One claimed row on its way: rendered (or not), and finished once its outcome is committed. */
  interface Item {
    row: ClaimedRow;
    msg: OutgoingEmail;
    finish: (outcome: Promise<void>) => void;
  }

  // Failures are recorded one at a time, in the background: a lane goes on sending meanwhile.
  let failureChain: Promise<void> = Promise.resolve();
  function recordFailureSoon(row: ClaimedRow, error: unknown, permanent: boolean): Promise<void> {
    failureChain = failureChain
      .then(async () => {
        settled(row);
        await recordFailure(row, error, permanent || error instanceof PermanentMailError);
      })
      .catch((e: unknown) =>
        app.log.error('could not record an email failure; the row will be retried after its lease', { worker: name, outboxId: Number(row.id), error: e }),
      );
    return failureChain;
  }

  /**
   * Renders a claimed batch into items for the lanes; a row that cannot be rendered fails at once.
   * `done` resolves once every row of the batch has its outcome committed (or given up on); then the
   * heartbeat stops renewing the batch, whatever happened (an unsettled row's lease runs out).
   */
  function openBatch(rows: ClaimedRow[], ctx: BatchContext): { items: Item[]; done: Promise<void> } {
    const items: Item[] = [];
    const outcomes: Promise<void>[] = [];
    for (const row of rows) {
      let msg: OutgoingEmail;
      try {
        msg = render(row, ctx);
      } catch (e) {
        outcomes.push(recordFailureSoon(row, e, true));
        continue;
      }
      let finish!: (outcome: Promise<void>) => void;
      outcomes.push(new Promise<void>((resolve) => (finish = (outcome) => void outcome.then(resolve, resolve))));
      items.push({ row, msg, finish });
    }
    const done = Promise.allSettled(outcomes).then(() => {
      for (const r of rows) settled(r);
    });
    return { items, done };
  }

  /**
   * Sends one email over SMTP; its acceptance is marked sent by the background group commit while
   * the lane goes on with its next email. A lane keeps at most UNMARKED_PER_LANE accepted emails
   * waiting for their mark (it waits for the oldest beyond that), so a crash re-sends at most the
   * email in flight and those, per lane (all with their stable Message-ID).
   */
  async function sendOne(smtp: Extract<MailTransport, { kind: 'smtp' }>, item: Item, lane: number, unmarked: Promise<void>[][]): Promise<void> {
    let info: { messageId: string } | null = null;
    let error: unknown = null;
    inFlight++;
    try {
      info = await smtp.send(item.msg);
    } catch (e) {
      error = e;
    } finally {
      inFlight--;
    }
    if (!info) {
      item.finish(recordFailureSoon(item.row, error, isPermanentSmtpError(error)));
      commitSoon();
      return;
    }
    const marked = recordAccepted(item.row, item.msg, info.messageId);
    item.finish(marked);
    const mine = (unmarked[lane] ??= []);
    mine.push(marked);
    while (mine.length > UNMARKED_PER_LANE) {
      blockedLanes++;
      commitSoon();
      try {
        await mine.shift();
      } finally {
        blockedLanes--;
      }
    }
  }

  /** The built-in mailbox: the message and the "sent" mark share one transaction, delivered exactly once. */
  async function deliverOne(mailbox: Extract<MailTransport, { kind: 'mailbox' }>, item: Item): Promise<void> {
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
      item.finish(Promise.resolve());
    } catch (e) {
      item.finish(recordFailureSoon(item.row, e, false));
    }
  }

  // Acceptances waiting for their "sent" mark, and the mark transaction running now (if any).
  type Accepted = { row: ClaimedRow; msg: OutgoingEmail; messageId: string | null; done: () => void };
  const toMark: Accepted[] = [];
  let marking: Promise<void> | null = null;
  // SMTP sends in progress, lanes waiting for a mark, and the lanes of the round now running.
  let inFlight = 0;
  let blockedLanes = 0;
  let lanes: LaneFeed<Item> | null = null;

  /**
   * Has one row marked sent after the SMTP server accepted it; resolves once that is committed.
   * The marks are group-committed: one transaction, one take of the event-append lock and one
   * insert of `email.sent` events for several acceptances, not one per email. The message is out:
   * a failure to record it is retried a few times, never reported as a send failure (that would
   * send it again).
   */
  function recordAccepted(row: ClaimedRow, msg: OutgoingEmail, messageId: string | null): Promise<void> {
    return new Promise<void>((done) => {
      toMark.push({ row, msg, messageId, done });
      commitSoon();
    });
  }

  /**
   * Starts the next mark transaction unless one is running, or more acceptances are on their way to
   * share it: a group waits until it has one acceptance per lane, unless a lane waits for it, a lane
   * has nothing to send, or no send is in flight (so the last marks of a round never wait).
   */
  function commitSoon(): void {
    if (marking || toMark.length === 0) return;
    const more = toMark.length < concurrency && blockedLanes === 0 && inFlight > 0 && (lanes?.idleLanes ?? 0) === 0;
    if (more) return;
    marking = (async () => {
      try {
        await markGroup(toMark.splice(0));
      } finally {
        marking = null;
        commitSoon();
      }
    })();
  }

  async function markGroup(group: Accepted[]): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        // The marks, their events and NOTIFYs: one statement, its own transaction.
        const owned = await markSentWithEvents(
          app.em(),
          app.clock.now(),
          group.map((a) => ({ row: a.row, subject: a.msg.subject, messageId: a.messageId || a.msg.messageId || null })),
        );
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
    overrides: ReturnType<typeof templateOverridesFrom>;
  }

  /** What a batch is rendered with, from the settings its claim read (claimDue). */
  function batchContext(values: Record<string, unknown>): BatchContext {
    const settings = settingsFromValues(values);
    const publicUrl = app.publicUrl();
    return { portalName: settings.portalName, publicUrl, from: resolveSender(app.config, settings, publicUrl), overrides: templateOverridesFrom(values) };
  }

  /**
   * Claims and delivers due rows until none is left (or stop() was called). Claims are pipelined:
   * the next batch is claimed while the lanes send the last emails of this one, so they never sit
   * idle waiting for a claim; at most one batch waits ahead (each claim stays ≤ batchSize rows, and
   * the heartbeat renews every claim in hand). Resolves once every claimed row's outcome is committed.
   */
  async function runOnce(): Promise<number> {
    let handled = 0;
    const unmarked: Promise<void>[][] = [];
    const t = transport;
    const feed = feedLanes<Item>(
      concurrency,
      (item, lane) => (t.kind === 'smtp' ? sendOne(t, item, lane, unmarked) : deliverOne(t, item)),
      (item, e) => item.finish(recordFailureSoon(item.row, e, false)),
      // A lane with nothing to send adds no acceptance to the group waiting to be committed.
      commitSoon,
    );
    lanes = feed;
    const batches: Promise<void>[] = [];
    try {
      for (;;) {
        const { rows, settings } = await claim();
        lastPollAt = Date.now();
        if (rows.length === 0) break;
        handled += rows.length;
        let batch: { items: Item[]; done: Promise<void> };
        try {
          // Templates are compiled (and MJML loaded) for the first email, not at start: the heartbeat keeps these claims meanwhile.
          renderer ??= await loadEmailRenderer();
          batch = openBatch(rows, batchContext(settings));
        } catch (e) {
          for (const r of rows) settled(r);
          throw e;
        }
        batches.push(batch.done);
        feed.push(batch.items);
        if (rows.length < batchSize) break;
        // The next claim goes out once the lanes have taken all but their last round of this batch;
        // a stopping worker (stop() sets closing) claims no more.
        if (!closing) await feed.backlogAtMost(concurrency);
        if (closing) break;
      }
    } finally {
      await feed.end();
      await Promise.all(batches);
      lanes = null;
    }
    return handled;
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
