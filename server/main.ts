import { parseConfig, ConfigError } from './config.js';
import { createLogger } from './logger.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { startApp, type RunningApp } from './app.js';

/** start: config → database (embedded unless DATABASE_URL) → migrations → HTTP + WebSocket → workers. */
export async function main(): Promise<void> {
  const t0 = performance.now();
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
  const log = createLogger(config.logLevel);
  let embedded: EmbeddedDatabase | undefined;
  let app: RunningApp | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`received ${signal}, shutting down`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    try {
      await app?.close();
      await embedded?.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres(config.dataDir, log);
      databaseUrl = embedded.url;
      log.info('using the embedded PostgreSQL', { dataDir: config.dataDir });
    }
    app = await startApp({ config, databaseUrl, log });
    const ms = Math.round(performance.now() - t0);
    log.info(`Admit is listening on ${app.url}`, { startupMs: ms });
    if (!config.publicUrl) process.stdout.write(`\n  Admit → ${app.url}\n\n`);
  } catch (e) {
    log.error('failed to start: ' + (e instanceof Error ? e.message : String(e)));
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
}
