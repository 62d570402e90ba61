import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { entities } from './entities/index.js';
import { migrationsList } from './migrations/index.js';

const here = dirname(fileURLToPath(import.meta.url));

export function ormConfig(clientUrl: string, opts: { debug?: boolean; poolMax?: number } = {}) {
  return defineConfig({
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
      transactional: true,
      silent: true,
      allOrNothing: true,
      snapshot: false,
    },
  });
}

// Used by the MikroORM CLI (`npm run migration:create`).
export default ormConfig(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/admit');
