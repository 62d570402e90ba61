import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from './mikro-orm.config.js';
import { runMigrations, pendingMigrationNames } from './migrate.js';
import type { Logger } from '../logger.js';
import type { TimeoutOptions } from './mikro-orm.config.js';

export interface OpenDatabaseOptions {
  poolMax?: number;
  /** Run pending migrations (under the migration lock) before opening; default true (MIGRATE_ON_START). */
  migrate?: boolean;
  /** Where the migration lock and the migrations go (DIRECT_DATABASE_URL); default url. */
  directUrl?: string;
  /** Acquire and statement timeouts of the pool (DB_ACQUIRE_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS); migrations run without them. */
  timeouts?: TimeoutOptions;
}

export async function openDatabase(url: string, log: Logger, opts: OpenDatabaseOptions = {}): Promise<MikroORM> {
  if (opts.migrate !== false) await runMigrations(opts.directUrl ?? url, log);
  const orm = await MikroORM.init(ormConfig(url, { poolMax: opts.poolMax, timeouts: opts.timeouts }));
  if (opts.migrate === false) {
    const pending = await pendingMigrationNames((sql) => orm.em.fork().execute(sql)).catch(() => []);
    if (pending.length) log.warn('migrations pending and MIGRATE_ON_START=false: not ready until `npm run migrate` has run', { pending });
  }
  // MikroORM.init is typed as returning the core class but constructs `new this(...)`: a PostgreSqlMikroORM.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- init() builds this very class; its declared return type is the base class
  return orm;
}
