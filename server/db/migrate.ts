import pg from 'pg';
import { MikroORM, type MigrationObject } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';
import { ormConfig } from './mikro-orm.config.js';
import { migrationsList } from './migrations/index.js';
import { LOCKS } from './locks.js';

/**
 * The session-level advisory lock held while migrating (LOCKS.migrations), so that replicas starting
 * together migrate once: the first takes it and runs the migrations, the others wait, then find
 * nothing pending.
 */
export const MIGRATION_LOCK_ID = LOCKS.migrations;

export interface MigrationResult {
  /** Names of the migrations this call ran (empty when another process had run them). */
  ran: string[];
}

/**
 * Runs the pending migrations under the advisory lock, on `url` (use DIRECT_DATABASE_URL when
 * DATABASE_URL goes through PgBouncer in transaction mode: a session lock needs its own session).
 * Migrations run without a statement or lock timeout: building an index on a big table may take long.
 */
export async function runMigrations(url: string, log: Logger, opts: { extra?: MigrationObject[] } = {}): Promise<MigrationResult> {
  const lock = new pg.Client({ connectionString: url, application_name: 'admit-migrate-lock' });
  await lock.connect();
  try {
    await lock.query('set statement_timeout = 0');
    const tryLock = async () => (await lock.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [MIGRATION_LOCK_ID])).rows[0]!.ok;
    if (!(await tryLock())) {
      log.info('migrations: another process is migrating; waiting for it');
      // Polled, never a blocking pg_advisory_lock: a session blocked in that statement holds a
      // snapshot, and the holder's CREATE INDEX CONCURRENTLY waits for every such snapshot to end:
      // the two would wait for each other for ever.
      while (!(await tryLock())) await new Promise((r) => setTimeout(r, 200));
    }
    // In the startup packet: before anything else runs on the session, and over the role's or database's defaults.
    const base = ormConfig(url, { poolMax: 1 });
    const orm = await MikroORM.init({
      ...base,
      // `extra`: migrations after this build's (tests: one that must run outside a transaction).
      ...(opts.extra ? { migrations: { ...base.migrations, migrationsList: [...migrationsList, ...opts.extra] } } : {}),
      driverOptions: {
        ...base.driverOptions,
        connection: { ...(base.driverOptions?.connection as Record<string, unknown> | undefined), options: NO_TIMEOUTS },
      },
    });
    try {
      const migrator = orm.migrator;
      const pending = await migrator.getPendingMigrations();
      if (!pending.length) return { ran: [] };
      log.info('migrations: running', { count: pending.length, names: pending.map((m) => m.name) });
      const t0 = performance.now();
      await migrator.up();
      log.info('migrations: done', { count: pending.length, ms: Math.round(performance.now() - t0) });
      return { ran: pending.map((m) => m.name) };
    } finally {
      await orm.close(true);
    }
  } finally {
    // Ending the session releases the lock too; unlocking first lets a waiter go on at once.
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
}

/** Startup options (pg's `options`) that turn the timeouts off for a migration session. */
const NO_TIMEOUTS = '-c statement_timeout=0 -c lock_timeout=0 -c idle_in_transaction_session_timeout=0';

/** Names of the migrations this build knows that the database has not run (for /readyz). */
export async function pendingMigrationNames(query: (sql: string) => Promise<{ name: string }[]>): Promise<string[]> {
  let done: Set<string>;
  try {
    done = new Set((await query('select name from mikro_orm_migrations')).map((r) => r.name));
  } catch (e) {
    // No table yet: nothing has run.
    if ((e as { code?: string }).code === '42P01') done = new Set();
    else throw e;
  }
  return migrationsList.map((m) => m.name).filter((n) => !done.has(n) && !done.has(n + '.ts') && !done.has(n + '.js'));
}
