import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppServices } from './app-services.js';
import type { DomainEventDto } from '../shared/events.js';
import { AppError } from './errors.js';
import { outboxBacklog } from './mail/outbox.js';
import { webhookBacklog } from './webhooks/webhooks.repository.js';

/**
 * Prometheus metrics (issue 11, item 2). This module owns the registry and every metric; the rest
 * of the server calls the small functions below (one line at each place). Recording is always on
 * and costs a few additions; `/metrics` serves the text only with METRICS=true (and the bearer
 * token METRICS_TOKEN when set). The registry is per process: with several apps in one test
 * process the counters are shared, which is why tests compare before/after values.
 */
export const registry = new Registry();

const PREFIX = 'admit_';

const procedureDuration = new Histogram({
  name: `${PREFIX}trpc_request_duration_seconds`,
  help: 'tRPC calls (HTTP and WebSocket) by procedure, type, transport and outcome (ok or the tRPC error code). Subscriptions: time to start.',
  labelNames: ['procedure', 'type', 'transport', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const wsConnections = new Gauge({
  name: `${PREFIX}websocket_connections`,
  help: 'Open WebSocket connections on this process.',
  registers: [registry],
});

const liveSubscribers = new Gauge({
  name: `${PREFIX}live_subscribers`,
  help: 'Live event subscriptions (admin streams) on this process.',
  registers: [registry],
});

const eventLag = new Histogram({
  name: `${PREFIX}event_lag_seconds`,
  help: "Time from a domain event's created_at (its transaction's time) to its publication on this process's event bus.",
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

const eventsDelivered = new Counter({
  name: `${PREFIX}events_delivered_total`,
  help: "Domain events delivered to this process's live event bus (each once).",
  registers: [registry],
});

const outboxDepth = new Gauge({
  name: `${PREFIX}outbox_pending`,
  help: 'Emails waiting in the outbox (status pending, due or scheduled for a retry). Sampled at scrape time.',
  registers: [registry],
});

const outboxOldestDue = new Gauge({
  name: `${PREFIX}outbox_oldest_due_age_seconds`,
  help: 'Age of the oldest pending email whose time to be sent has come (0 when none). Sampled at scrape time.',
  registers: [registry],
});

const emailsSent = new Counter({
  name: `${PREFIX}emails_sent_total`,
  help: "Emails this process's mail worker sent (SMTP accepted, or written to the built-in mailbox).",
  registers: [registry],
});

const emailsFailed = new Counter({
  name: `${PREFIX}emails_failed_total`,
  help: "Emails this process's mail worker gave up on (permanent error or out of attempts).",
  registers: [registry],
});

const emailsRetried = new Counter({
  name: `${PREFIX}emails_retried_total`,
  help: "Failed attempts of this process's mail worker that were scheduled for a retry.",
  registers: [registry],
});

export const WEBHOOK_OUTCOMES = ['succeeded', 'retry_scheduled', 'failed', 'endpoint_disabled'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

const webhookDeliveries = new Counter({
  name: `${PREFIX}webhook_deliveries_total`,
  help:
    "Webhook delivery attempts this process's worker recorded, by outcome: succeeded; retry_scheduled; failed (given up: out of attempts, " +
    'or its endpoint was disabled meanwhile); endpoint_disabled (this attempt disabled its endpoint: 410 Gone, or failing for 5 days).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const webhookAttemptDuration = new Histogram({
  name: `${PREFIX}webhook_attempt_duration_seconds`,
  help:
    'One webhook delivery attempt (address lookup and check, request, up to 2 KB of the answer), by the class of the answer: ' +
    '2xx, 3xx, 4xx, 5xx, or none (timeout, connection error, refused address).',
  labelNames: ['status_class'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
  registers: [registry],
});

const webhookDepth = new Gauge({
  name: `${PREFIX}webhook_deliveries_pending`,
  help: 'Webhook deliveries waiting for an enabled endpoint (due, in flight or scheduled for a retry). Sampled at scrape time.',
  registers: [registry],
});

const webhookOldestDue = new Gauge({
  name: `${PREFIX}webhook_oldest_due_age_seconds`,
  help: 'Age of the oldest pending webhook delivery of an enabled endpoint whose time to be sent has come (0 when none). Sampled at scrape time.',
  registers: [registry],
});

const signups = new Counter({
  name: `${PREFIX}signups_total`,
  help: 'Self-registrations by outcome: active, pending, refused (registration closed), rate_limited.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const logins = new Counter({
  name: `${PREFIX}logins_total`,
  help: 'Login attempts by outcome: success, invalid_credentials, account_pending, account_inactive, account_invited, account_rejected, rate_limited, error.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const rateLimited = new Counter({
  name: `${PREFIX}rate_limit_refusals_total`,
  help: 'Requests refused by a rate limiter, by limiter.',
  labelNames: ['limiter'] as const,
  registers: [registry],
});

// unverified: the sign-up was taken and waits for its email address to be proven (email verification, on by default).
for (const o of ['unverified', 'active', 'pending', 'refused', 'rate_limited']) signups.inc({ outcome: o }, 0);
for (const o of ['success', 'invalid_credentials', 'rate_limited']) logins.inc({ outcome: o }, 0);
for (const o of WEBHOOK_OUTCOMES) webhookDeliveries.inc({ outcome: o }, 0);

// Recording (called from the places named in each comment)

/** trpc/init.ts: one call per tRPC procedure call. */
export function observeProcedure(procedure: string, type: string, transport: string, outcome: string, seconds: number): void {
  procedureDuration.observe({ procedure, type, transport, outcome }, seconds);
}

/** events/bus.ts: a batch the bus publishes (after dropping ids published before). */
export function observeEventsPublished(events: readonly DomainEventDto[]): void {
  const now = Date.now();
  for (const e of events) eventLag.observe(Math.max(0, now - Date.parse(e.createdAt)) / 1000);
  eventsDelivered.inc(events.length);
}

/** events/bus.ts: a subscriber joined (+1) or left (-1) an event bus of this process. */
export function countLiveSubscribers(delta: 1 | -1): void {
  liveSubscribers.inc(delta);
}

export interface MailStats {
  sent: number;
  retried: number;
  failed: number;
}

/** mail/worker.ts: wraps the worker's stats so each increment also moves the counters. */
export function countedMailStats(stats: MailStats): MailStats {
  const counters = { sent: emailsSent, retried: emailsRetried, failed: emailsFailed };
  const out = {} as MailStats;
  for (const key of ['sent', 'retried', 'failed'] as const) {
    let value = stats[key];
    Object.defineProperty(out, key, {
      enumerable: true,
      get: () => value,
      set: (v: number) => {
        if (v > value) counters[key].inc(v - value);
        value = v;
      },
    });
  }
  return out;
}

/** webhooks/worker.ts: one attempt, as the receiver answered it (status null: no answer), whatever is recorded after. */
export function observeWebhookAttempt(status: number | null, seconds: number): void {
  const statusClass = status === null || status < 200 || status > 599 ? 'none' : `${Math.floor(status / 100)}xx`;
  webhookAttemptDuration.observe({ status_class: statusClass }, seconds);
}

/** webhooks/worker.ts: an attempt's outcome, once recorded (committed). */
export function countWebhookDelivery(outcome: WebhookOutcome): void {
  webhookDeliveries.inc({ outcome });
}

// Limiter names, learnt from the app's RateLimits object (app.ts), so refusals are counted by name.
const limiterNames = new WeakMap<object, string>();

/** app.ts: names every limiter of the app after its key in RateLimits (loginPerIp, signupPerIp, …). */
export function nameRateLimiters(limits: object): void {
  for (const [name, limiter] of Object.entries(limits)) if (limiter && typeof limiter === 'object') limiterNames.set(limiter as object, name);
}

/** trpc/procedures.ts (enforceRateLimit): a refusal by this limiter. */
export function countRateLimitRefusal(limiter: object): void {
  rateLimited.inc({ limiter: limiterNames.get(limiter) ?? 'other' });
}

function reasonOf(e: unknown): string | null {
  return e instanceof AppError ? e.reason : null;
}

/** users/registration.router.ts: counts the outcome of one sign-up (the rate limit check included). */
export async function countSignup<T extends { status: string }>(run: () => Promise<T>): Promise<T> {
  try {
    const out = await run();
    signups.inc({ outcome: out.status });
    return out;
  } catch (e) {
    const reason = reasonOf(e);
    if (reason === 'RATE_LIMITED') signups.inc({ outcome: 'rate_limited' });
    else if (reason) signups.inc({ outcome: 'refused' });
    throw e;
  }
}

/** auth/auth.router.ts: counts the outcome of one login attempt (the rate limit checks included). */
export async function countLogin<T>(run: () => Promise<T>): Promise<T> {
  try {
    const out = await run();
    logins.inc({ outcome: 'success' });
    return out;
  } catch (e) {
    const reason = reasonOf(e);
    logins.inc({ outcome: reason ? reason.toLowerCase() : 'error' });
    throw e;
  }
}

// Serving

let defaultsOn = false;

export interface ScrapeSources {
  /** Open WebSocket connections of this app's server. */
  wsConnections: () => number;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * GET /metrics: Prometheus text, with METRICS=true only (404 otherwise);
 * 401 without `Authorization: Bearer <METRICS_TOKEN>` when that is set. The outbox gauges and the
 * webhook queue gauges are sampled by one query each at scrape time. Returns false for any other path.
 */
export function handleMetrics(app: AppServices, req: IncomingMessage, res: ServerResponse, sources: ScrapeSources): boolean {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  if ((q === -1 ? url : url.slice(0, q)) !== '/metrics') return false;
  if (!app.config.metrics.enabled) {
    // Not the web app's fallback page either: a scraper pointed at a process without metrics sees 404.
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
    return true;
  }
  const token = app.config.metrics.token;
  if (token && !tokenMatches(req.headers.authorization, token)) {
    res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Bearer realm="metrics"' }).end('Unauthorized\n');
    return true;
  }
  if (!defaultsOn) {
    defaultsOn = true;
    collectDefaultMetrics({ register: registry, prefix: PREFIX });
  }
  void (async () => {
    wsConnections.set(sources.wsConnections());
    try {
      const b = await outboxBacklog(app.em());
      outboxDepth.set(b.pending);
      outboxOldestDue.set(b.oldestDueAgeS);
    } catch (e) {
      app.log.warn('metrics: could not sample the outbox', { error: e as Error });
    }
    try {
      const w = await webhookBacklog(app.em());
      webhookDepth.set(w.pending);
      webhookOldestDue.set(w.oldestDueAgeS);
    } catch (e) {
      app.log.warn('metrics: could not sample the webhook deliveries', { error: e as Error });
    }
    const text = await registry.metrics();
    res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(text);
  })().catch((e: unknown) => {
    app.log.error('metrics: scrape failed', { error: e as Error });
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics failed\n');
  });
  return true;
}
