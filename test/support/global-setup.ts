import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { mkdtempSync, rmSync, existsSync, statSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../server/db/embedded.js';
import { createLogger } from '../../server/logger.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

async function answers(url: string): Promise<boolean> {
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

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

let embedded: EmbeddedDatabase | undefined;
let embeddedDir: string | undefined;

/**
 * Chooses the PostgreSQL server for the whole run: TEST_DATABASE_URL, else 127.0.0.1:5432 when it
 * answers, else an embedded one in a temporary folder. Each test file then creates (and drops) its
 * own database on it. Also builds the client once when browser tests will need it.
 */
export default async function setup(project: TestProject) {
  let url = process.env.TEST_DATABASE_URL;
  if (!url) {
    const local = 'postgres://postgres@127.0.0.1:5432/postgres';
    if (await answers(local)) url = local;
    else {
      embeddedDir = mkdtempSync(join(tmpdir(), 'admit-test-pg-'));
      embedded = await startEmbeddedPostgres(embeddedDir, createLogger('warn'));
      url = embedded.url.replace(/\/admit$/, '/postgres');
    }
  }
  project.provide('pgAdminUrl', url);

  const index = 'dist/client/index.html';
  const sources = Math.max(newest('client'), newest('shared'), statSync('vite.config.ts').mtimeMs);
  if (!existsSync(index) || statSync(index).mtimeMs < sources) {
    // Build aside, then swap in: several test runs on one machine must not see a half-written build.
    const tmp = `dist/.client-${process.pid}`;
    execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error', '--outDir', '../' + tmp], { stdio: 'inherit' });
    rmSync('dist/client', { recursive: true, force: true });
    renameSync(tmp, 'dist/client');
  }

  return async () => {
    await embedded?.stop();
    if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
  };
}
