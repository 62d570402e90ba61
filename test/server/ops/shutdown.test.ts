import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { get, type IncomingMessage } from 'node:http';
import { SESSION_COOKIE } from '../../../shared/constants.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { uniqueEmail } from '../../support/users.js';
import { run, spawnServer, type ServerProcess } from './support.js';
import { relaxSecurity } from '../../support/security.js';
import { LOCKS } from '../../../server/db/locks.js';

describe('graceful shutdown of a real server process', () => {
  let db: TestDatabase;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    await (db as TestDatabase | undefined)?.drop();
  });

  it('finishes the requests in flight at SIGTERM with 200, refuses new ones, then exits 0', async () => {
    // TRUST_PROXY=1 so each sign-up comes from its own client address (the per-IP limit allows 10).
    server = await spawnServer(process.execPath, ['--import', 'tsx', 'server/start.ts'], { DATABASE_URL: db.url, TRUST_PROXY: '1', MAIL_WORKER: 'false' });
    await relaxSecurity(db.url); // scripted sign-ups: no bot checks (test/security/bot-protection.test.ts covers them)
    const origin = `http://localhost:${server.port}`;
    // Fewer than the pool's 10 connections: every one of them holds a connection while it waits below.
    const emails = Array.from({ length: 8 }, (_, i) => uniqueEmail(`drain${i}`));
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      // Hold the event-append lock: each sign-up's transaction stops at its user.registered event
      // and waits there. So the requests are certainly in flight when the signal comes, however
      // slow or fast this machine is (no guessing with a sleep).
      await c.query('select pg_advisory_lock($1)', [LOCKS.eventAppend]);
      let releasedAt = Infinity;
      const results = emails.map((email, i) =>
        fetch(server!.url + '/trpc/auth.signup', {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin, 'x-forwarded-for': `198.51.100.${i + 1}` },
          body: JSON.stringify({ firstName: 'Grace', lastName: 'Drain', email, password: 'a long enough password', confirmPassword: 'a long enough password' }),
        }).then(async (r) => ({ status: r.status, body: await r.text(), afterRelease: Date.now() >= releasedAt })),
      );
      const waiting = async () =>
        (
          await c.query<{ n: number }>(
            `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`,
          )
        ).rows[0]!.n;
      for (let i = 0; i < 1200 && (await waiting()) < emails.length; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await waiting()).toBe(emails.length);

      server.child.kill('SIGTERM');
      // New connections are refused while the requests are still in flight.
      let refused = false;
      for (let i = 0; i < 200 && !refused; i++) {
        refused = await fetch(server.url + '/healthz').then(
          () => false,
          () => true,
        );
        if (!refused) await new Promise((r) => setTimeout(r, 25));
      }
      expect(refused).toBe(true);
      expect(await waiting()).toBe(emails.length);

      releasedAt = Date.now();
      await c.query('select pg_advisory_unlock($1)', [LOCKS.eventAppend]);
      const done = await Promise.all(results);
      for (const d of done) expect(d, d.body).toMatchObject({ status: 200, afterRelease: true });
      expect(await server.exited).toBe(0);
      expect(server.output()).toMatch(/received SIGTERM, shutting down/);
      const r = await c.query('select count(*)::int as n from app_user where email = any($1)', [emails]);
      expect(r.rows[0].n).toBe(emails.length);
    } finally {
      await c.end();
    }
  }, 120_000);

  it('ends HTTP (SSE) subscriptions at SIGTERM (their clients resume elsewhere) instead of holding the drain until SHUTDOWN_TIMEOUT_MS', async () => {
    const admin = { email: 'sse-admin@example.com', password: 'a long enough password' };
    // Ten minutes: if the open stream held the drain, the process would still be there when this test gives up.
    server = await spawnServer(process.execPath, ['--import', 'tsx', 'server/start.ts'], {
      DATABASE_URL: db.url,
      MAIL_WORKER: 'false',
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      SHUTDOWN_TIMEOUT_MS: '600000',
    });
    const origin = `http://localhost:${server.port}`;
    const login = await fetch(server.url + '/trpc/auth.login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify(admin),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith(SESSION_COOKIE + '='))!
      .split(';')[0]!;
    const input = encodeURIComponent(JSON.stringify({ lastEventId: null }));
    // The live events as an HTTP event stream (what tRPC's httpSubscriptionLink or an EventSource opens).
    const stream = await new Promise<IncomingMessage>((resolve, reject) =>
      get(`${server!.url}/trpc/admin.events.onUserEvent?input=${input}`, { headers: { accept: 'text/event-stream', cookie } }, resolve).on('error', reject),
    );
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    stream.resume();
    const ended = new Promise<void>((r) => stream.once('close', () => r()));

    server.child.kill('SIGTERM');
    await ended;
    expect(await server.exited).toBe(0);
    expect(server.output()).not.toMatch(/shutdown timeout reached/);
  }, 120_000);

  it('stops start-up with one clear line when NODE_ENV=production and DATABASE_URL is missing', async () => {
    const r = await run(
      process.execPath,
      ['--import', 'tsx', 'server/start.ts'],
      { NODE_ENV: 'production', DATABASE_URL: '', DATA_DIR: '/nonexistent/admit-must-not-create', PORT: '0' },
      60_000,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^Invalid configuration: DATABASE_URL must be set when NODE_ENV=production/);
  }, 60_000);
});
