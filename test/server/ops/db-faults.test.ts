import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startTestApp, sqlCount, type TestApp } from '../../support/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { uniqueEmail } from '../../support/users.js';
import { LOCKS } from '../../../server/db/locks.js';
import { startFreezeProxy, type FreezeProxy } from './freeze-proxy.js';
import { databaseReachable, pollDatabaseHealth } from '../../../client/admin/shell/db-health.js';

const PASSWORD = 'a fine passphrase';
const form = (email: string) => ({ firstName: 'Ada', lastName: 'Lovelace', email, password: PASSWORD, confirmPassword: PASSWORD });

/** Records the app's warn lines (the real logger still writes them). */
function captureWarnings(app: TestApp): { msg: string; fields?: Record<string, unknown> }[] {
  const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
  const log = app.services.log;
  const warn = log.warn.bind(log);
  log.warn = (msg, fields) => {
    lines.push({ msg, fields });
    warn(msg, fields);
  };
  return lines;
}

async function getPolicy(app: TestApp): Promise<{ status: number; ms: number; body: any }> {
  const t0 = performance.now();
  const res = await fetch(`${app.url}/trpc/auth.passwordPolicy`);
  return { status: res.status, ms: performance.now() - t0, body: await res.json() };
}

describe('database faults answer 503, never hang', () => {
  let db: TestDatabase;
  let proxy: FreezeProxy;
  let app: TestApp;
  let warnings: ReturnType<typeof captureWarnings>;
  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startFreezeProxy(db.url);
    app = await startTestApp({ db: { ...db, url: proxy.url }, env: { DB_STATEMENT_TIMEOUT_MS: '800', DB_ACQUIRE_TIMEOUT_MS: '800', MAIL_WORKER: 'false' } });
    warnings = captureWarnings(app);
  });
  afterAll(async () => {
    (proxy as FreezeProxy | undefined)?.thaw();
    await (app as TestApp | undefined)?.stop();
    await (proxy as FreezeProxy | undefined)?.close();
    await (db as TestDatabase | undefined)?.drop();
  });

  it('answers normally first', async () => {
    expect((await getPolicy(app)).status).toBe(200);
  });

  it('a statement stuck behind a lock hits the statement timeout: 503 DATABASE_UNAVAILABLE and a log line', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table setting in access exclusive mode');
      const r = await getPolicy(app);
      expect(r.status).toBe(503);
      expect(r.ms).toBeLessThan(5_000);
      expect(r.body.error.data.reason).toBe('DATABASE_UNAVAILABLE');
      expect(r.body.error.message).toMatch(/cannot reach its database/);
      expect(warnings.some((w) => w.msg.includes('database unavailable') && w.fields?.path === 'auth.passwordPolicy')).toBe(true);
    } finally {
      await holder.query('rollback').catch(() => undefined);
      await holder.end();
    }
    expect((await getPolicy(app)).status).toBe(200);
  });

  it('a frozen server (no answer at all on open or new connections): 503 within the timeouts, /readyz 503, and back after the thaw', async () => {
    warnings.length = 0;
    proxy.freeze();
    try {
      const results = await Promise.all(Array.from({ length: 12 }, () => getPolicy(app)));
      for (const r of results) {
        expect(r.status).toBe(503);
        expect(r.body.error.data.reason).toBe('DATABASE_UNAVAILABLE');
        expect(r.ms).toBeLessThan(8_000);
      }
      expect(warnings.filter((w) => w.msg.includes('database unavailable')).length).toBeGreaterThanOrEqual(12);
      const ready = await fetch(`${app.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = await ready.json();
      expect(body.checks.database.ok).toBe(false);
      // The admin shell's live indicator reads this answer: "reconnecting" while the database is out of reach.
      expect(databaseReachable(ready.status, body)).toBe(false);
      expect(await pollDatabaseHealth(fetch, app.url)).toBe(false);
    } finally {
      proxy.thaw();
    }
    await expect.poll(async () => (await getPolicy(app)).status, { timeout: 15_000, interval: 300 }).toBe(200);
    await expect.poll(async () => (await fetch(`${app.url}/readyz`)).status, { timeout: 15_000, interval: 300 }).toBe(200);
    expect(await pollDatabaseHealth(fetch, app.url)).toBe(true);
    // A 503 for another reason (e.g. shutting down) is not about the database.
    expect(databaseReachable(503, { status: 'stopping', checks: {} })).toBe(true);
  });
});

describe('a transaction that loses its connection before COMMIT is retried once', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { MAIL_WORKER: 'false' } });
  });
  afterAll(() => (app as TestApp | undefined)?.stop());

  it('a sign-up whose backend is killed mid-transaction still succeeds, with exactly one user', async () => {
    const email = uniqueEmail('killed');
    const warnings = captureWarnings(app);
    // Hold the event-append lock: the sign-up's transaction (user inserted, emails queued) waits on it.
    const holder = new pg.Client({ connectionString: app.db.url });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock($1)', [LOCKS.eventAppend]);
      const signup = app.caller().auth.signup(form(email));
      const waiting = async () =>
        (
          await holder.query<{ pid: number }>(
            `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
               and wait_event_type = 'Lock' and query like '%pg_advisory_xact_lock%'`,
          )
        ).rows.map((r) => r.pid);
      await expect.poll(waiting, { timeout: 20_000 }).toHaveLength(1);
      // The sign-up's own row is in its (uncommitted) transaction; kill that backend.
      const [pid] = await waiting();
      await holder.query('select pg_terminate_backend($1)', [pid]);
      await holder.query('select pg_advisory_unlock($1)', [LOCKS.eventAppend]);
      await expect(signup).resolves.toEqual({ status: expect.any(String) });
    } finally {
      await holder.end();
    }
    expect(await sqlCount(app, `select count(*) from app_user where lower(email) = lower(?)`, [email])).toBe(1);
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'user.registered' and data->'user'->>'email' = ?`, [email])).toBe(1);
    // Its email was queued once (by the retry; the killed try rolled back).
    expect(await sqlCount(app, `select count(*) from email_outbox where to_address = ?`, [email])).toBe(1);
    expect(warnings.some((w) => w.msg.includes('retrying once'))).toBe(true);
  });
});
