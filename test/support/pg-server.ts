import pg from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when a PostgreSQL server answers at url within 1.5 s. */
export async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface PostgresServer {
  /** A URL to the server's `postgres` database, for creating and dropping others. */
  url: string;
  kind: string;
  stop(): Promise<void>;
}

/**
 * The PostgreSQL server tests and benchmarks use: TEST_DATABASE_URL, else 127.0.0.1:5432 when it
 * answers, else an embedded one in a temporary folder (stopped and removed by stop()).
 */
export async function choosePostgres(): Promise<PostgresServer> {
  const fromEnv = process.env.TEST_DATABASE_URL;
  if (fromEnv) return { url: fromEnv, kind: 'TEST_DATABASE_URL', stop: async () => {} };
  const local = 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await answers(local)) return { url: local, kind: 'PostgreSQL on 127.0.0.1:5432', stop: async () => {} };
  // Loaded only when needed: the embedded server's package is heavy.
  const { startEmbeddedPostgres } = await import('../../server/db/embedded.js');
  const { createLogger } = await import('../../server/logger.js');
  const dir = mkdtempSync(join(tmpdir(), 'admit-test-pg-'));
  const embedded = await startEmbeddedPostgres(dir, createLogger('warn'));
  return {
    url: embedded.url.replace(/\/admit$/, '/postgres'),
    kind: 'embedded PostgreSQL',
    stop: async () => {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = '/' + db;
  return u.toString();
}
