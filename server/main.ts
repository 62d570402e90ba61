import { parseConfig, ConfigError, type Config } from './config.js';
import { createLogger } from './logger.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { startApp, type RunningApp } from './app.js';
import { watchEmbeddedDatabase } from './http/health.js';

function configOrExit(): Readonly<Config> {
  try {
    return parseConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      // One clear line, nothing else: the operator's log shows exactly what to fix.
      process.stderr.write(e.message + '\n');
      process.exit(1);
    }
    throw e;
  }
}

/**
 * start: config → database (embedded unless DATABASE_URL) → migrations → HTTP + WebSocket → workers.
 * SIGTERM/SIGINT: readiness fails at once, new connections are refused, in-flight requests and the
 * mail batch in hand finish (SHUTDOWN_TIMEOUT_MS), WebSocket clients are told to reconnect, then the
 * database closes (and the embedded PostgreSQL stops).
 */
export async function main(): Promise<void> {
  const t0 = performance.now();
  const config = configOrExit();
  const log = createLogger(config.logLevel, { format: config.logFormat });
  let embedded: EmbeddedDatabase | undefined;
  let app: RunningApp | undefined;
  let starting: Promise<unknown> = Promise.resolve();
  // Set by the signal handler while startup awaits: a boolean, not the `false` it starts as.
  let stopping = false as boolean;

  const stop = async (signal: string) => {
    if (stopping) {
      log.warn(`received ${signal} again while shutting down; still draining (SHUTDOWN_TIMEOUT_MS=${config.shutdownTimeoutMs})`);
      return;
    }
    stopping = true;
    log.info(`received ${signal}, shutting down`, { timeoutMs: config.shutdownTimeoutMs });
    // The drain is bounded by SHUTDOWN_TIMEOUT_MS; this only guards against a hang after it.
    const force = setTimeout(() => {
      log.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 20_000);
    force.unref();
    let code = 0;
    try {
      const closing = app?.close();
      await starting.catch(() => undefined);
      await (closing ?? app?.close());
    } catch (e) {
      code = 1;
      log.error('error while shutting down', { error: e });
    }
    try {
      await embedded?.stop();
    } catch (e) {
      code = 1;
      log.error('error while stopping the embedded PostgreSQL', { error: e });
    }
    log.info('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const start = async () => {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      embedded = await startEmbeddedPostgres(config.dataDir, log, {
        // Restarted with backoff if it stops on its own; if it cannot be, exit non-zero so the process manager restarts us.
        onGiveUp: () => {
          log.error('exiting: the embedded PostgreSQL cannot be restarted');
          void (async () => {
            await app?.close().catch(() => undefined);
            await embedded?.stop().catch(() => undefined);
            process.exit(1);
          })();
        },
      });
      databaseUrl = embedded.url;
      log.info('using the embedded PostgreSQL', { dataDir: config.dataDir });
    }
    if (stopping) return;
    app = await startApp({ config, databaseUrl, log });
    const supervised = embedded;
    if (supervised) watchEmbeddedDatabase(app.services, () => supervised.state);
  };
  starting = start();
  try {
    await starting;
    if (stopping || !app) return;
    const ms = Math.round(performance.now() - t0);
    log.info(`Admit is listening on ${app.url}`, { startupMs: ms });
    if (!config.publicUrl && process.stdout.isTTY) process.stdout.write(`\n  Admit → ${app.url}\n\n`);
  } catch (e) {
    if (stopping) return;
    log.error('failed to start: ' + (e instanceof Error ? e.message : String(e)));
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
}
