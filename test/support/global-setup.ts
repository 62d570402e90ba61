import type { TestProject } from 'vitest/node';
import { rmSync, existsSync, statSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { choosePostgres, type PostgresServer } from './pg-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
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

let server: PostgresServer | undefined;

/**
 * Chooses the PostgreSQL server for the whole run: TEST_DATABASE_URL, else 127.0.0.1:5432 when it
 * answers, else an embedded one in a temporary folder. Each test file then creates (and drops) its
 * own database on it. Also builds the client once when browser tests will need it.
 */
export default async function setup(project: TestProject) {
  server = await choosePostgres();
  project.provide('pgAdminUrl', server.url);

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
    await server?.stop();
  };
}
