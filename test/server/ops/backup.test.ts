import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestApp, type TestApp } from '../../support/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { adminSession, uniqueEmail } from '../../support/users.js';
import { queueEmail } from '../../../server/mail/outbox.js';
import { run } from './support.js';

/** Every table's rows (as JSON, in a stable order) and every sequence's position. */
async function snapshot(url: string): Promise<Record<string, unknown>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = (
      await c.query<{ t: string }>(`select tablename as t from pg_tables where schemaname = 'public' and tablename <> 'mikro_orm_migrations' order by 1`)
    ).rows;
    const out: Record<string, unknown> = {};
    for (const { t } of tables) {
      const rows = await c.query<{ j: string }>(`select row_to_json(x)::text as j from "${t}" x`);
      out[t] = rows.rows.map((r) => r.j).sort();
    }
    out.sequences = (await c.query(`select sequencename, last_value from pg_sequences where schemaname = 'public' order by 1`)).rows;
    out.migrations = (await c.query(`select name from mikro_orm_migrations order by id`)).rows.map((r) => r.name);
    return out;
  } finally {
    await c.end();
  }
}

describe('npm run backup / npm run restore', () => {
  let app: TestApp;
  let target: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'admit-backup-'));
  beforeAll(async () => {
    app = await startTestApp();
    target = await createTestDatabase();
  });
  afterAll(async () => {
    await (app as TestApp | undefined)?.stop();
    await (target as TestDatabase | undefined)?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('restore into an empty database exactly what was backed up, and the app runs on it', async () => {
    // Data of every kind: users and sessions, events, settings, outbox rows, mailbox messages.
    const admin = await adminSession(app);
    for (let i = 0; i < 3; i++) {
      await app
        .caller()
        .auth.signup({ firstName: 'Back', lastName: `Up${i}`, email: uniqueEmail('bk'), password: 'backup password!', confirmPassword: 'backup password!' });
    }
    await app.services.em().transactional((tx) => queueEmail(tx, 'registration-received', uniqueEmail('bk-mail'), { firstName: 'Q' }));
    await app.mailWorker!.drain();
    const before = await snapshot(app.db.url);
    expect((before.app_user as unknown[]).length).toBeGreaterThanOrEqual(4);
    expect((before.domain_event as unknown[]).length).toBeGreaterThan(0);

    const file = join(dir, 'admit.jsonl.gz');
    const b = await run('npm', ['run', '--silent', 'backup', '--', file], { DATABASE_URL: app.db.url });
    expect(b.code, b.stdout + b.stderr).toBe(0);
    expect(b.stdout).toContain('backup written to');

    const r = await run('npm', ['run', '--silent', 'restore', '--', file], { DATABASE_URL: target.url });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await snapshot(target.url)).toEqual(before);

    // A second restore refuses a database that has tables, unless --clean.
    const again = await run('npm', ['run', '--silent', 'restore', '--', file], { DATABASE_URL: target.url });
    expect(again.code).toBe(1);
    expect(again.stdout + again.stderr).toContain('already has tables');
    const clean = await run('npm', ['run', '--silent', 'restore', '--', file, '--clean'], { DATABASE_URL: target.url });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(await snapshot(target.url)).toEqual(before);

    // The restored database serves: the admin's session is there, and new rows continue the sequences.
    const restored = await startTestApp({ db: target });
    try {
      const me = await restored.caller({ sessionId: admin.sessionId }).auth.me();
      expect(me.user?.role).toBe('admin');
      await restored.caller().auth.signup({
        firstName: 'After',
        lastName: 'Restore',
        email: uniqueEmail('bk-after'),
        password: 'backup password!',
        confirmPassword: 'backup password!',
      });
    } finally {
      await restored.close();
    }
  }, 180_000);
});
