import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { allowedOriginsFor, publicUrlFor, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { openDatabase } from './db/database.js';
import { createLucia } from './auth/lucia.js';
import { createRateLimits, type RateLimits } from './security/rate-limit.js';
import { createHttpServer } from './http/server.js';
import { ensureAdminFromConfig } from './auth/auth.service.js';
import { systemClock, type AppServices, type Clock } from './app-services.js';
import { createMailWorker, type MailWorker } from './mail/worker.js';
import { startLiveEvents } from './events/live.js';
import type { WebSocketServer } from 'ws';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
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
  close(): Promise<void>;
}

/** Opens the database (running migrations), then serves HTTP + WebSocket on config.port (0 = any free port). */
export async function startApp(opts: StartOptions): Promise<RunningApp> {
  const { config } = opts;
  const log = opts.log ?? createLogger(config.logLevel);
  const orm = await openDatabase(opts.databaseUrl, log);
  let port = config.port;
  const services: AppServices = {
    config,
    orm,
    log,
    lucia: createLucia(orm, config.secureCookies),
    limits: opts.limits ?? createRateLimits(),
    clock: opts.clock ?? systemClock,
    publicUrl: () => publicUrlFor(config, port),
    allowedOrigins: () => allowedOriginsFor(config, port),
    em: () => orm.em.fork(),
  };
  const closers: (() => Promise<void>)[] = [];
  let wss: WebSocketServer | undefined;
  let mailWorker: MailWorker | null = null;
  try {
    await ensureAdminFromConfig(services);
    // The LISTEN connection before the server, so the first subscription already has its bus.
    const live = await startLiveEvents(services, opts.databaseUrl);
    closers.push(() => live.stop());
    const http = createHttpServer(services, { clientDir: opts.clientDir ?? DEFAULT_CLIENT_DIR });
    closers.push(() => http.close());
    wss = http.wss;
    await new Promise<void>((resolve, reject) => {
      http.server.once('error', reject);
      http.server.listen(config.port, config.host, () => resolve());
    });
    port = (http.server.address() as AddressInfo).port;
    const sessionSweep = setInterval(() => void services.lucia.deleteExpiredSessions().catch(() => undefined), 60 * 60_000);
    sessionSweep.unref();
    closers.push(async () => clearInterval(sessionSweep));
    if (config.mailWorker) {
      const worker = (mailWorker = createMailWorker(services, { databaseUrl: opts.databaseUrl }));
      await worker.start();
      closers.push(() => worker.stop());
    }
  } catch (e) {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await orm.close(true);
    throw e;
  }
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let closed = false;
  return {
    url: `http://${host}:${port}`,
    port,
    services,
    orm,
    wss: wss!,
    mailWorker,
    async close() {
      if (closed) return;
      closed = true;
      for (const c of closers.reverse()) await c().catch((e) => log.warn('error while stopping', { error: e }));
      await orm.close(true);
    },
  };
}
