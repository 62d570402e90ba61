import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import { PgListener } from '../db/pg-listener.js';
import { appendEvent } from '../events/append.js';
import { WEBHOOK_WORK_CHANNEL } from '../events/webhook-fanout.js';
import { queueEmail } from '../mail/outbox.js';
import { inLanes } from '../mail/lanes.js';
import { WEBHOOK_DISABLE_AFTER_MS } from '../../shared/webhooks.js';
import { sendWebhook, type SendResult } from './http-send.js';
import { HONOURS_RETRY_AFTER, retryAfterMs, scheduledDelayMs } from './retry.js';
import { countWebhookDelivery, observeWebhookAttempt, type WebhookOutcome } from '../metrics.js';
import { signedHeaders } from './signing.js';
import type { SecretBox } from './secret-box.js';
import type { ResolveHost } from './ssrf.js';
import {
  activeAdminRecipients,
  claimDueDeliveries,
  disableEndpoint,
  failPendingDelivery,
  markEndpointFailing,
  markEndpointHealthy,
  notifyDeliveries,
  recordAttempt,
  type AttemptRecord,
  type ClaimedDelivery,
} from './webhooks.repository.js';

export interface WebhookWorkerOptions {
  databaseUrl: string;
  box: SecretBox;
  resolve: ResolveHost;
  allowedHosts: readonly string[];
  pollMs?: number;
  batchSize?: number;
  /** Deliveries of one batch in flight at once. */
  concurrency?: number;
  /** A claim lasts this long (default 60 s: longer than the 15 s timeout plus DNS, so no renewal is needed). */
  leaseMs?: number;
  timeoutMs?: number;
  /** Wake on NOTIFY (default true); polling works either way. */
  listen?: boolean;
  /**
   * At stop(), sends in flight get this long to finish (default 3 s, well inside SHUTDOWN_TIMEOUT_MS);
   * then they are cut and left to their lease: another worker sends them again after it, with the same
   * webhook-id (receivers de-duplicate by it).
   */
  stopGraceMs?: number;
}

export interface WebhookWorker {
  /**
   * When it last claimed rows or finished an attempt (app clock, epoch ms; null before the first
   * poll): the readiness check's sign of life. A batch of slow receivers is progress, not a stuck worker.
   */
  readonly lastPollAt: number | null;
  /** Started and not stopped. */
  readonly running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Delivers due rows until none is left; resolves with how many attempts this call made. */
  drain(): Promise<number>;
  wake(): void;
}

function clip(text: string, max = 1000): string {
  return text.replace(/[\u0000-\u001f]+/g, ' ').slice(0, max);
}

/**
 * The webhook outbox worker: claims due deliveries (webhooks.repository.ts), signs and sends each
 * (http-send.ts, through the SSRF guard), and records the outcome:
 * 2xx succeeded; 410 Gone disables the endpoint; 429/502/504 come back after their Retry-After;
 * anything else (other statuses, timeouts, refused addresses) comes back on the retry schedule,
 * and fails after the 10th attempt. An endpoint failing for 5 days is disabled. Disabling emails
 * every admin (through the mail outbox, in the same transaction).
 */
export function createWebhookWorker(app: AppServices, opts: WebhookWorkerOptions): WebhookWorker {
  const pollMs = opts.pollMs ?? 1000;
  const batchSize = opts.batchSize ?? 20;
  const concurrency = opts.concurrency ?? 8;
  const leaseMs = opts.leaseMs ?? 60_000;
  let lastPollAt: number | null = null;
  let running: Promise<number> | null = null;
  let again = false;
  let stopped = true;
  let timer: NodeJS.Timeout | null = null;
  let shutdown = new AbortController();
  /** Set by stop() (not before start(): drain() may be called on a worker never started). */
  let stopping = false;
  const stopGraceMs = opts.stopGraceMs ?? 3000;
  const listener =
    opts.listen === false
      ? null
      : new PgListener({
          databaseUrl: opts.databaseUrl,
          channel: WEBHOOK_WORK_CHANNEL,
          log: app.log,
          logFields: { worker: 'webhooks' },
          reconnect: { baseMs: Math.max(pollMs, 1000), maxMs: Math.max(pollMs, 30_000) },
          messages: { lost: 'webhook worker lost its LISTEN connection; polling until it is back', reconnected: 'webhook worker is listening again' },
          onNotification: () => {
            if (!stopped) wake();
          },
          onReady: (reconnected) => {
            if (reconnected) wake();
          },
        });

  function secretsOf(row: ClaimedDelivery, now: Date): string[] {
    const list = [opts.box.open(row.secret_enc)];
    if (row.previous_secret_enc && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > now) {
      list.push(opts.box.open(row.previous_secret_enc));
    }
    return list;
  }

  async function attempt(row: ClaimedDelivery): Promise<SendResult> {
    const body = JSON.stringify(row.payload);
    let headers: Record<string, string>;
    try {
      // The signature's timestamp is the real time of sending, whatever the app clock says: the receiver checks it against its own clock.
      headers = signedHeaders(row.message_id, body, secretsOf(row, app.clock.now()), new Date());
    } catch (e) {
      return { status: null, body: null, retryAfter: null, latencyMs: 0, error: `cannot sign: ${e instanceof Error ? e.message : String(e)}`, refused: false };
    }
    return sendWebhook(row.url, headers, body, {
      allowedHosts: opts.allowedHosts,
      resolve: opts.resolve,
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      signal: shutdown.signal,
    });
  }

  /** True when this call disabled the endpoint (false: it already was). */
  async function disable(tx: EntityManager, row: ClaimedDelivery, reason: string, now: Date): Promise<boolean> {
    const endpoint = await disableEndpoint(tx, row.endpoint_id, reason, now);
    if (!endpoint) return false;
    await appendEvent(tx, 'webhook.disabled', { endpoint: { id: row.endpoint_id, url: endpoint.url }, reason }, { actorId: null });
    const webhookUrl = `${app.publicUrl()}/admin/settings/webhooks/${row.endpoint_id}`;
    for (const admin of await activeAdminRecipients(tx)) {
      await queueEmail(
        tx,
        'webhook-disabled',
        admin.email,
        { adminFirstName: admin.first_name, endpointUrl: endpoint.url, reason, webhookUrl },
        { userId: admin.id },
      );
    }
    app.log.warn('webhook endpoint disabled', { endpointId: row.endpoint_id, reason });
    return true;
  }

  async function record(row: ClaimedDelivery, r: SendResult): Promise<void> {
    // Cut at shutdown: nothing is known, so nothing is recorded; the lease hands it to the next worker.
    if (r.aborted) return;
    observeWebhookAttempt(r.status, r.latencyMs / 1000);
    const now = app.clock.now();
    const ok = r.status !== null && r.status >= 200 && r.status < 300;
    const base = { responseStatus: r.status, responseBody: r.body, latencyMs: r.latencyMs, error: r.error ? clip(r.error) : null };
    let rec: AttemptRecord;
    if (ok) rec = { ...base, status: 'succeeded', nextAttemptAt: null };
    else if (r.status === 410 || row.attempts >= row.max_attempts) rec = { ...base, status: 'failed', nextAttemptAt: null };
    else {
      const asked = r.status !== null && HONOURS_RETRY_AFTER.has(r.status) ? retryAfterMs(r.retryAfter, now) : null;
      rec = { ...base, status: 'pending', nextAttemptAt: new Date(now.getTime() + (asked ?? scheduledDelayMs(row.attempts))) };
    }
    if (!ok && !rec.error) rec.error = r.status === null ? 'no response' : `HTTP ${r.status}`;
    const outcome = await app.em().transactional(async (tx): Promise<WebhookOutcome | null> => {
      if (!(await recordAttempt(tx, row, now, rec))) {
        app.log.warn('webhook delivery was taken over by another worker after its lease ran out', { deliveryId: Number(row.id) });
        return null;
      }
      let out: WebhookOutcome = rec.status === 'succeeded' ? 'succeeded' : rec.status === 'pending' ? 'retry_scheduled' : 'failed';
      if (ok) await markEndpointHealthy(tx, row.endpoint_id);
      else if (r.status === 410) {
        if (await disable(tx, row, 'the receiver answered 410 Gone', now)) out = 'endpoint_disabled';
      } else {
        const since = await markEndpointFailing(tx, row.endpoint_id, now);
        // Disabled while this attempt was in flight: it does not wait for a retry that will never be claimed.
        if (!since && rec.status === 'pending') {
          await failPendingDelivery(tx, row.id, 'endpoint disabled', now);
          out = 'failed';
        } else if (since && now.getTime() - since.getTime() >= WEBHOOK_DISABLE_AFTER_MS) {
          if (await disable(tx, row, 'its deliveries kept failing for 5 days', now)) out = 'endpoint_disabled';
        }
      }
      await notifyDeliveries(tx, row.endpoint_id, false);
      return out;
    });
    // Counted once committed: a record that failed is retried after its lease and counted then.
    if (outcome) countWebhookDelivery(outcome);
    lastPollAt = app.clock.now().getTime();
  }

  async function runOnce(): Promise<number> {
    let handled = 0;
    // A stopping worker claims nothing more: a backlog must not hold the shutdown.
    while (!stopping) {
      const rows = await claimDueDeliveries(app.em(), app.clock.now(), batchSize, leaseMs);
      lastPollAt = app.clock.now().getTime();
      if (rows.length === 0) return handled;
      await inLanes(
        rows,
        concurrency,
        async (row) => record(row, await attempt(row)),
        () => undefined,
        (row, e) => app.log.error('could not record a webhook attempt; it is retried after its lease', { deliveryId: Number(row.id), error: e }),
      );
      handled += rows.length;
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
          const requested = again && !stopping;
          again = false;
          return requested;
        };
        again = false;
        do {
          total += await runOnce();
        } while (takeAgain());
      } finally {
        running = null;
      }
      return total;
    })();
    running = run;
    return run;
  }

  function wake() {
    drain().catch((e: unknown) => app.log.error('webhook worker round failed', { error: e }));
  }

  return {
    get lastPollAt() {
      return lastPollAt;
    },
    get running() {
      return !stopped;
    },
    drain,
    wake,
    async start() {
      if (!stopped) return;
      stopped = false;
      stopping = false;
      shutdown = new AbortController();
      await listener?.start({ retryFirst: true });
      timer = setInterval(() => wake(), pollMs);
      timer.unref();
      wake();
    },
    async stop() {
      stopped = true;
      stopping = true;
      if (timer) clearInterval(timer);
      timer = null;
      await listener?.stop();
      const inFlight = running?.catch(() => undefined);
      if (!inFlight) return;
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([inFlight, new Promise<void>((r) => (grace = setTimeout(r, stopGraceMs)))]);
      clearTimeout(grace);
      shutdown.abort();
      await inFlight;
    },
  };
}
