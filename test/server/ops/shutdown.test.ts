import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { uniqueEmail } from '../../support/users.js';
import { run, spawnServer, type ServerProcess } from './support.js';
import { relaxSecurity } from '../../support/security.js';

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
    const emails = Array.from({ length: 40 }, (_, i) => uniqueEmail(`drain${i}`));
    let sigtermAt = 0;
    const results = emails.map((email, i) =>
      fetch(server!.url + '/trpc/auth.signup', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, 'x-forwarded-for': `198.51.100.${i + 1}` },
        body: JSON.stringify({ firstName: 'Grace', lastName: 'Drain', email, password: 'a long enough password', confirmPassword: 'a long enough password' }),
      }).then(async (r) => ({ status: r.status, body: await r.text(), at: Date.now() })),
    );
    // Let the requests reach the server (argon2 keeps each one busy for a while), then SIGTERM.
    await new Promise((r) => setTimeout(r, 40));
    sigtermAt = Date.now();
    server.child.kill('SIGTERM');
    const done = await Promise.all(results);
    for (const d of done) expect(d, d.body).toMatchObject({ status: 200 });
    // Some of them were still in flight when the signal arrived (otherwise this test proves nothing).
    expect(done.filter((d) => d.at > sigtermAt).length).toBeGreaterThan(0);
    // After the signal, new connections are refused.
    await expect(fetch(server.url + '/healthz')).rejects.toThrow();
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/received SIGTERM, shutting down/);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const r = await c.query('select count(*)::int as n from app_user where email = any($1)', [emails]);
      expect(r.rows[0].n).toBe(40);
    } finally {
      await c.end();
    }
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
