import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppServices } from '../app-services.js';
import { liveEventsOf } from '../events/live.js';
import { pendingMigrationNames } from '../db/migrate.js';

/** starting: until the app serves everything; ready; stopping: from the first moment of a shutdown. */
export type Phase = 'starting' | 'ready' | 'stopping';

interface HealthState {
  phase: Phase;
  /** When this process runs the mail worker: when it last polled the outbox (epoch ms), and how often it should. */
  mailWorker: { lastPollAt: () => number | null; pollMs: number } | null;
  /** When this process runs the webhook delivery worker: when it last polled or finished an attempt (app clock, epoch ms), how often it polls, whether it runs. */
  webhookWorker?: WatchedWebhookWorker | null;
  /** When this process supervises the embedded PostgreSQL (main.ts): its state. */
  embeddedDatabase?: () => string | undefined;
}

// Keyed by the app's services, like the live events: several apps in one test process stay apart.
const states = new WeakMap<AppServices, HealthState>();

function stateOf(app: AppServices): HealthState {
  let s = states.get(app);
  if (!s) states.set(app, (s = { phase: 'starting', mailWorker: null }));
  return s;
}

export function setPhase(app: AppServices, phase: Phase): void {
  stateOf(app).phase = phase;
}

export function phaseOf(app: AppServices): Phase {
  return stateOf(app).phase;
}

export function watchMailWorker(app: AppServices, worker: { lastPollAt: () => number | null; pollMs: number } | null): void {
  stateOf(app).mailWorker = worker;
}

export interface WatchedWebhookWorker {
  lastPollAt: () => number | null;
  pollMs: number;
  running: () => boolean;
}

/** The webhook delivery worker (webhooks/worker.ts) becomes a readiness check; null: this process runs none. */
export function watchWebhookWorker(app: AppServices, worker: WatchedWebhookWorker | null): void {
  stateOf(app).webhookWorker = worker;
}

/** The embedded PostgreSQL's supervision state (db/embedded.ts) becomes a readiness check. */
export function watchEmbeddedDatabase(app: AppServices, state: () => string | undefined): void {
  stateOf(app).embeddedDatabase = state;
}

const CHECK_TIMEOUT_MS = 2_000;

/** A poll older than this means the worker is stuck (a batch in hand polls again when it is done). */
export function mailWorkerStaleMs(pollMs: number): number {
  return Math.max(5 * pollMs, 30_000);
}

/**
 * The same rule for the webhook worker: it polls every pollMs and marks each finished attempt, and
 * an attempt ends within its 15 s timeout plus the address lookup, so silence past this is a stuck loop.
 */
export function webhookWorkerStaleMs(pollMs: number): number {
  return mailWorkerStaleMs(pollMs);
}

interface Check {
  ok: boolean;
  [detail: string]: unknown;
}

async function timed(run: () => Promise<Check>): Promise<Check> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const r = await Promise.race([
      run(),
      new Promise<Check>((res) => {
        timer = setTimeout(() => res({ ok: false, error: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ...r, ms: Math.round(performance.now() - t0) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e), ms: Math.round(performance.now() - t0) };
  } finally {
    clearTimeout(timer);
  }
}

/** Every readiness check of this process, run at the same time. */
export async function readinessChecks(app: AppServices): Promise<Record<string, Check>> {
  const state = stateOf(app);
  const checks: Record<string, Promise<Check>> = {
    database: timed(async () => {
      await app.em().execute('select 1');
      return { ok: true };
    }),
    migrations: timed(async () => {
      const pending = await pendingMigrationNames((sql) => app.em().execute(sql));
      return pending.length ? { ok: false, pending } : { ok: true };
    }),
    listener: timed(async () => {
      let connected = false;
      try {
        connected = liveEventsOf(app).listener.connected;
      } catch {
        return { ok: false, error: 'not started' };
      }
      return connected ? { ok: true } : { ok: false, error: 'the LISTEN connection is down (reconnecting)' };
    }),
  };
  const embedded = state.embeddedDatabase;
  if (embedded) {
    checks.embeddedDatabase = timed(async () => {
      const s = embedded() ?? 'running';
      return s === 'running'
        ? { ok: true }
        : { ok: false, state: s, error: s === 'restarting' ? 'the embedded PostgreSQL stopped; restarting it' : 'the embedded PostgreSQL is stopped' };
    });
  }
  const worker = state.mailWorker;
  if (worker) {
    checks.mailWorker = timed(async () => {
      const last = worker.lastPollAt();
      const limit = mailWorkerStaleMs(worker.pollMs);
      if (last === null) return { ok: false, error: 'has not polled yet' };
      const ago = Date.now() - last;
      return ago <= limit ? { ok: true, lastPollMsAgo: ago } : { ok: false, lastPollMsAgo: ago, error: `no poll for more than ${limit} ms` };
    });
  }
  const hooks = state.webhookWorker;
  if (hooks) {
    checks.webhookWorker = timed(async () => {
      if (!hooks.running()) return { ok: false, error: 'stopped' };
      const last = hooks.lastPollAt();
      const limit = webhookWorkerStaleMs(hooks.pollMs);
      if (last === null) return { ok: false, error: 'has not polled yet' };
      // The worker stamps its polls with the app's clock: compared on the same clock.
      const ago = app.clock.now().getTime() - last;
      return ago <= limit ? { ok: true, lastPollMsAgo: ago } : { ok: false, lastPollMsAgo: ago, error: `no poll for more than ${limit} ms` };
    });
  }
  const out: Record<string, Check> = {};
  await Promise.all(Object.entries(checks).map(async ([k, p]) => (out[k] = await p)));
  return out;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
}

/**
 * /healthz (liveness: the event loop answers) and /readyz (this process can serve: PostgreSQL
 * answers, migrations are at the latest, the LISTEN connection is up, the mail and webhook workers poll).
 * /readyz answers 503 while starting and from the first moment of a shutdown. Returns false for
 * any other path.
 */
export function handleHealth(app: AppServices, req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path !== '/healthz' && path !== '/readyz') return false;
  if (path === '/healthz') {
    send(res, 200, { status: 'ok', uptimeS: Math.round(process.uptime()) });
    return true;
  }
  const phase = stateOf(app).phase;
  if (phase !== 'ready') {
    send(res, 503, { status: phase, checks: {} });
    return true;
  }
  void readinessChecks(app).then(
    (checks) => {
      // A shutdown that began while the checks ran wins.
      const now = stateOf(app).phase;
      const ok = now === 'ready' && Object.values(checks).every((c) => c.ok);
      send(res, ok ? 200 : 503, { status: now !== 'ready' ? now : ok ? 'ready' : 'unready', checks });
    },
    (e: unknown) => send(res, 503, { status: 'unready', error: String(e) }),
  );
  return true;
}
