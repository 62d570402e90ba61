import { parseConfig, type Config } from '../../server/config.js';
import { startApp, type RunningApp } from '../../server/app.js';
import { createLogger } from '../../server/logger.js';
import { createRateLimits, type RateLimits } from '../../server/security/rate-limit.js';
import type { Clock } from '../../server/app-services.js';
import { appRouter } from '../../server/trpc/router.js';
import { createCallerFactory } from '../../server/trpc/init.js';
import type { Context } from '../../server/trpc/context.js';
import { SESSION_COOKIE } from '../../shared/constants.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { DEFAULT_SECURITY_SETTINGS, type SecuritySettings } from '../../shared/schemas/security.js';
import { writeSecuritySettings } from '../../server/settings/security-settings.service.js';

/** Settings › Security for tests that are not about it: no bot checks, lockouts far away. */
export const TESTS_SECURITY: Partial<SecuritySettings> = {
  powEnabled: false,
  honeypotEnabled: false,
  minSubmitSeconds: 0,
  disposableEmails: 'allow',
  loginFailuresPerIp: 100,
  loginFailuresPerAccount: 1000,
};

/** Browser tests: bot protection on as shipped (the widget solves in Chromium), with an easier proof-of-work and a shorter minimum time. */
export const E2E_SECURITY: Partial<SecuritySettings> = { powMaxNumber: 5_000, minSubmitSeconds: 1 };

/** A clock tests can move forward instead of sleeping. */
export class TestClock implements Clock {
  private offsetMs = 0;
  now() {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number) {
    this.offsetMs += ms;
  }
  reset() {
    this.offsetMs = 0;
  }
}

const callerFactory = createCallerFactory(appRouter);
export type TestCaller = ReturnType<typeof callerFactory> & { cookies: string[] };

export interface TestApp extends RunningApp {
  db: TestDatabase;
  clock: TestClock;
  /** The Origin a browser on this app would send. */
  origin: string;
  /** A tRPC caller built from the real context, as the HTTP adapter builds it (`sessionId`: the cookie's session token). */
  caller(opts?: { sessionId?: string | null; ip?: string; cookie?: string }): TestCaller;
  stop(): Promise<void>;
}

/**
 * Starts the real server (HTTP + WebSocket on port 0) on a fresh database of its own.
 * Rate limits are scaled up unless a test passes its own.
 */
export async function startTestApp(
  opts: { env?: Record<string, string>; limits?: RateLimits; db?: TestDatabase; security?: Partial<SecuritySettings> } = {},
): Promise<TestApp> {
  const db = opts.db ?? (await createTestDatabase());
  const config: Readonly<Config> = parseConfig({ PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error', MAIL_POLL_MS: '100', ...opts.env });
  const clock = new TestClock();
  let app: RunningApp;
  try {
    app = await startApp({ config, databaseUrl: db.url, clock, limits: opts.limits ?? createRateLimits(1000), log: createLogger(config.logLevel) });
  } catch (e) {
    if (!opts.db) await db.drop();
    throw e;
  }
  // Bot protection and lockouts are off (or loose) for tests that are not about them: they pass `security` to get the shipped defaults plus their own.
  await writeSecuritySettings(app.services.em(), opts.security ? { ...DEFAULT_SECURITY_SETTINGS, ...opts.security } : TESTS_SECURITY);
  const origin = app.services.allowedOrigins()[0]!;
  return Object.assign(app, {
    db,
    clock,
    origin,
    caller(o: { sessionId?: string | null; ip?: string; cookie?: string } = {}) {
      const cookies: string[] = [];
      const ctx: Context = {
        app: app.services,
        transport: 'http',
        ip: o.ip ?? '127.0.0.1',
        ...(o.cookie ? { cookieHeader: o.cookie } : {}),
        userAgent: 'vitest',
        sessionToken: o.sessionId ?? null,
        setCookie: (c) => cookies.push(c),
      };
      const inner = callerFactory(ctx) as any;
      // The caller is a proxy where every property is a procedure path; `cookies` is answered here.
      return new Proxy(inner, { get: (t, k) => (k === 'cookies' ? cookies : t[k]) }) as TestCaller;
    },
    async stop() {
      await app.close();
      if (!opts.db) await db.drop();
    },
  });
}

/** The session id inside a Set-Cookie header value. */
export function sessionIdFrom(setCookie: string[] | string | undefined): string | null {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  for (const c of list) {
    const m = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(c);
    if (m && m[1]) return m[1];
  }
  return null;
}

/** Runs SQL on the app's database and returns all rows (fixtures and assertions only). */
export async function sql<T = any>(app: TestApp, query: string, params: unknown[] = []): Promise<T[]> {
  return app.services.em().execute<T[]>(query, params as any[]);
}

/** Runs a `select count(*)` style query and returns the number. */
export async function sqlCount(app: TestApp, query: string, params: unknown[] = []): Promise<number> {
  const rows = await sql<Record<string, unknown>>(app, query, params);
  const first = rows[0];
  return first ? Number(Object.values(first)[0]) : 0;
}
