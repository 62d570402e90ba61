import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { entities } from './entities/index.js';
import { migrationsList } from './migrations/index.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface TimeoutOptions {
  /** How long a caller waits for a pooled connection (and for a new one to connect). */
  acquireTimeoutMs: number;
  /** PostgreSQL's statement_timeout for every statement of the pool's sessions. */
  statementTimeoutMs: number;
}

/**
 * The pool's timeouts: knex's acquire timeout and pg's connect timeout (a frozen server does not
 * accept), statement_timeout in the startup packet (`options`, so migrate.ts's override replaces
 * it), and pg's client-side read timeout a little later for a server that does not answer at all.
 */
function timeoutOptions(t: TimeoutOptions | undefined) {
  if (!t) return {};
  return {
    acquireConnectionTimeout: t.acquireTimeoutMs,
    connection: {
      connectionTimeoutMillis: t.acquireTimeoutMs,
      query_timeout: t.statementTimeoutMs + 2_000,
      options: `-c statement_timeout=${t.statementTimeoutMs}`,
    },
  };
}

export function ormConfig(clientUrl: string, opts: { debug?: boolean; poolMax?: number; timeouts?: TimeoutOptions } = {}) {
  return defineConfig({
    driverOptions: timeoutOptions(opts.timeouts),
    clientUrl,
    entities,
    extensions: [Migrator],
    debug: opts.debug ?? false,
    pool: { min: 0, max: opts.poolMax ?? 10 },
    // Entities come from defineEntity: no reflection, no discovery by path.
    discovery: { warnWhenNoEntities: true },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    migrations: {
      path: join(here, 'migrations'),
      pathTs: join(here, 'migrations'),
      glob: '!(*.d|index).{js,ts}',
      migrationsList,
      // Each migration in a transaction of its own, not all of them in one: a migration that builds
      // an index on a big table with CREATE INDEX CONCURRENTLY (which cannot run in a transaction,
      // and would wait forever for an enclosing one) says `override isTransactional() { return false; }`
      // and runs outside any (docs/ARCHITECTURE.md, Database).
      transactional: true,
      silent: true,
      allOrNothing: false,
      snapshot: false,
    },
  });
}

// Used by the MikroORM CLI (`npm run migration:create`).
export default ormConfig(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/admit');
