// `npm run migrate`: the release step that runs the pending migrations (then start with MIGRATE_ON_START=false).
import { parseConfig, ConfigError } from '../config.js';
import { createLogger } from '../logger.js';
import { useEmbeddedPostgres, type EmbeddedDatabase } from './embedded.js';
import { runMigrations } from './migrate.js';

let config;
try {
  config = parseConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(e.message + '\n');
    process.exit(1);
  }
  throw e;
}
const log = createLogger(config.logLevel, { format: config.logFormat });
let embedded: EmbeddedDatabase | undefined;
let code = 0;
try {
  let url = config.directDatabaseUrl ?? config.databaseUrl;
  if (!url) {
    embedded = await useEmbeddedPostgres(config.dataDir, log);
    url = embedded.url;
  }
  const { ran } = await runMigrations(url, log);
  log.info(ran.length ? `migrated: ${ran.length} migration(s) ran` : 'migrated: nothing was pending');
} catch (e) {
  log.error('migration failed', { error: e });
  code = 1;
} finally {
  await embedded?.stop().catch(() => undefined);
}
process.exit(code);
