import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { allowedOriginsFor, publicUrlFor, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openDatabase } from './db/database.js';
import { createSessionStore } from './sessions/session-store.js';
import { readSessionPolicy } from './settings/session-settings.service.js';
import { attachRateLimits, createRateLimits, startSecurityPurge, type RateLimits } from './security/rate-limit.js';
import { createHttpServer, type HttpHandle } from './http/server.js';
import { setPhase, watchMailWorker, watchWebhookWorker } from './http/health.js';
import { ensureAdminFromConfig } from './auth/auth.service.js';
import { systemClock, type AppServices, type Clock } from './app-services.js';
import { createMailWorker, type MailWorker } from './mail/worker.js';
import { startWebhooks, type WebhookRuntime } from './webhooks/runtime.js';
import { startLiveEvents } from './events/live.js';
import type { WebSocketServer } from 'ws';
import { nameRateLimiters } from './metrics.js';
import { createScheduler, type Scheduler } from './jobs/scheduler.js';
import { retentionJob } from './jobs/retention.js';
import { unverifiedPurgeJob } from './jobs/unverified.js';
import { userCountsReconcileJob } from './jobs/user-counts.js';

const here = dirname(fileURLToPath(import.meta.url));
// server/app.ts under tsx, or the bundle dist/server/start.js: the project root is one or two levels up.
const root = existsSync(join(here, '..', 'package.json')) ? join(here, '..') : join(here, '..', '..');
export const DEFAULT_CLIENT_DIR = join(root, 'dist', 'client');

export interface StartOptions {
  config: Readonly<Config>;
  databaseUrl: string;
  clientDir?: string;
  log?: Logger;
  clock?: Clock;
  limits?: RateLimits;
}

export interface RunningApp {
  url: string;
  port: number;
  services: AppServices;
  orm: MikroORM;
  /** The WebSocket server (tests reach its clients to cut connections). */
  wss: WebSocketServer;
  /** The outbox worker (null when MAIL_WORKER=false). */
  mailWorker: MailWorker | null;
  /** Webhooks: the secret box, the delivery worker (tests drain it), the delivery-log channel. */
  webhooks: WebhookRuntime;
  /** Scheduled jobs (jobs/scheduler.ts): the retention purge and the expired-unverified purge; tests run them on the test clock. */
  scheduler: Scheduler;
  close(): Promise<void>;
}

/** Opens the database (running migrations), then serves HTTP + WebSocket on config.port (0 = any free port). */
export async function startApp(opts: StartOptions): Promise<RunningApp> {
  const { config } = opts;
  const log = opts.log ?? createLogger(config.logLevel);
  const orm = await openDatabase(opts.databaseUrl, log, { migrate: config.migrateOnStart, directUrl: config.directDatabaseUrl, timeouts: config.db });
  // LISTEN needs a session of its own: DIRECT_DATABASE_URL when DATABASE_URL goes through PgBouncer (transaction mode).
  const listenUrl = config.directDatabaseUrl ?? opts.databaseUrl;
  let port = config.port;
  const clock = opts.clock ?? systemClock;
  const services: AppServices = {
    config,
    orm,
    log,
    sessions: createSessionStore({ em: () => orm.em.fork(), clock, secureCookies: config.secureCookies, policy: readSessionPolicy }),
    limits: opts.limits ?? createRateLimits(),
    clock,
    publicUrl: () => publicUrlFor(config, port),
    allowedOrigins: () => allowedOriginsFor(config, port),
    em: () => orm.em.fork(),
  };
  nameRateLimiters(services.limits);
  attachRateLimits(services.limits, services);
  const closers: (() => Promise<void>)[] = [];
  let wss: WebSocketServer | undefined;
  let mailWorker: MailWorker | null = null;
  let webhooks: WebhookRuntime | undefined;
  let httpHandle: HttpHandle | undefined;
  const scheduler = createScheduler({ em: services.em, clock, log, jobs: [retentionJob(), unverifiedPurgeJob(services), userCountsReconcileJob()] });
  try {
    await ensureAdminFromConfig(services);
    // The LISTEN connection before the server, so the first subscription already has its bus.
    const live = await startLiveEvents(services, listenUrl);
    closers.push(() => live.stop());
    // Before the server, whose procedures use it. In production without APP_SECRET_KEY it refuses to start when endpoints exist.
    const hooks = (webhooks = await startWebhooks(services, listenUrl));
    closers.push(() => hooks.stop());
    const hookWorker = hooks.worker;
    if (hookWorker)
      watchWebhookWorker(services, { lastPollAt: () => hookWorker.lastPollAt, pollMs: config.webhooks.pollMs, running: () => hookWorker.running });
    const http = (httpHandle = createHttpServer(services, { clientDir: opts.clientDir ?? DEFAULT_CLIENT_DIR }));
    closers.push(() => http.close());
    wss = http.wss;
    await new Promise<void>((resolve, reject) => {
      http.server.once('error', reject);
      http.server.listen(config.port, config.host, () => resolve());
    });
    port = (http.server.address() as AddressInfo).port;
    const stopSecurityPurge = startSecurityPurge(services, (e) => log.warn('rate limit purge failed', { error: e }));
    closers.push(async () => stopSecurityPurge());
    const sessionSweep = setInterval(() => void services.sessions.deleteExpired().catch(() => undefined), 60 * 60_000);
    sessionSweep.unref();
    closers.push(async () => clearInterval(sessionSweep));
    scheduler.start();
    closers.push(() => scheduler.stop());
    if (config.mailWorker) {
      const worker = (mailWorker = createMailWorker(services, { databaseUrl: listenUrl }));
      await worker.start();
      watchMailWorker(services, { lastPollAt: () => worker.lastPollAt, pollMs: config.mailPollMs });
      closers.push(() => worker.stop());
    }
  } catch (e) {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await orm.close(true);
    throw e;
  }
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let closed = false;
  setPhase(services, 'ready');
  return {
    url: `http://${host}:${port}`,
    port,
    services,
    orm,
    wss,
    mailWorker,
    webhooks: webhooks,
    scheduler,
    async close() {
      if (closed) return;
      closed = true;
      // Readiness fails at once; new connections are refused while in-flight requests and the mail batch in hand finish.
      setPhase(services, 'stopping');
      // Scheduled jobs stop with the rest, not after the HTTP drain: no new run starts while
      // requests finish, and a run in progress stops after its batch in hand.
      await Promise.all([httpHandle.close(), mailWorker?.stop(), scheduler.stop()]).catch((e: unknown) => log.warn('error while draining', { error: e }));
      for (const c of closers.reverse()) await c().catch((e: unknown) => log.warn('error while stopping', { error: e }));
      await orm.close(true);
    },
  };
}
