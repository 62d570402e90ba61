import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Migration } from '@mikro-orm/migrations';
import { Writable } from 'node:stream';
import { runMigrations, pendingMigrationNames } from '../../../server/db/migrate.js';
import { migrationsList } from '../../../server/db/migrations/index.js';
import { createLogger } from '../../../server/logger.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: createLogger('info', { format: 'json', destination }), lines };
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('migrations under the advisory lock', () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  it('run once when two processes migrate a fresh database at the same time', async () => {
    db = await createTestDatabase();
    const a = capturingLogger();
    const b = capturingLogger();
    const [ra, rb] = await Promise.all([runMigrations(db.url, a.log), runMigrations(db.url, b.log)]);
    const all = migrationsList.map((m) => m.name);
    // One of them ran every migration; the other waited for the lock and found nothing to do.
    expect([ra.ran, rb.ran].sort((x, y) => y.length - x.length)).toEqual([all, []]);
    const rows = await query<{ name: string }>(db.url, 'select name from mikro_orm_migrations order by id');
    expect(rows.map((r) => r.name.replace(/\.(ts|js)$/, ''))).toEqual(all);
    expect(await pendingMigrationNames((sql) => query(db!.url, sql))).toEqual([]);
    // The lock is released: nothing holds it afterwards.
    const held = await query(
      db.url,
      `select 1 from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`,
    );
    expect(held).toEqual([]);
  });

  it('report every migration as pending on an empty database, and wait for a lock held elsewhere', async () => {
    db = await createTestDatabase();
    expect(await pendingMigrationNames((sql) => query(db!.url, sql))).toEqual(migrationsList.map((m) => m.name));
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    const { MIGRATION_LOCK_ID } = await import('../../../server/db/migrate.js');
    await holder.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const { log, lines } = capturingLogger();
    let finished = false;
    const run = runMigrations(db.url, log).then((r) => ((finished = true), r));
    await new Promise((r) => setTimeout(r, 500));
    expect(finished).toBe(false);
    expect(lines.some((l) => String(l.msg).includes('another process is migrating'))).toBe(true);
    await holder.end();
    expect((await run).ran).toHaveLength(migrationsList.length);
  });

  it('run a migration that builds an index CONCURRENTLY outside any transaction (the others each in their own)', async () => {
    db = await createTestDatabase();
    // As a release would ship an index on a big table: writes go on while it is built.
    class Migration29990101000000_concurrent_index_probe extends Migration {
      override isTransactional(): boolean {
        return false;
      }
      override async up(): Promise<void> {
        // A concurrent build that failed leaves an INVALID index behind: drop it first, so a rerun starts clean.
        this.addSql('drop index concurrently if exists probe_concurrent_idx;');
        this.addSql('create index concurrently probe_concurrent_idx on app_user (created_at);');
      }
    }
    const { log } = capturingLogger();
    const r = await runMigrations(db.url, log, {
      extra: [{ name: 'Migration29990101000000_concurrent_index_probe', class: Migration29990101000000_concurrent_index_probe }],
    });
    expect(r.ran).toEqual([...migrationsList.map((m) => m.name), 'Migration29990101000000_concurrent_index_probe']);
    expect(await query(db.url, `select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'probe_concurrent_idx'`)).toEqual(
      [{ indisvalid: true }],
    );
  });

  it('run without a statement timeout even when the role has one', async () => {
    db = await createTestDatabase();
    await query(db.url, `alter database ${db.name} set statement_timeout = '1ms'`);
    // A pg_sleep in a migration would fail under 1 ms; the migration session turns the timeout off.
    const { log } = capturingLogger();
    await expect(runMigrations(db.url, log)).resolves.toMatchObject({ ran: migrationsList.map((m) => m.name) });
  });
});
