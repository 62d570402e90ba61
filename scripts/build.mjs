// Builds the server bundle (dist/server) with esbuild; with --if-stale, rebuilds the client (Vite)
// and the server only when their sources are newer than the build. Plain JavaScript: it runs before
// anything is compiled, and `npm start` uses it without tsx.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';

const OUT = 'dist/server';
const ENTRIES = {
  start: 'server/start.ts',
  migrate: 'server/db/migrate-cli.ts',
  backup: 'scripts/backup.ts',
  restore: 'scripts/restore.ts',
};

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}

function builtAt(file) {
  return existsSync(file) ? statSync(file).mtimeMs : -1;
}

export async function buildServer() {
  await build({
    entryPoints: ENTRIES,
    outdir: OUT,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
    chunkNames: 'chunks/[name]-[hash]',
  });
}

function buildClient() {
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
}

const ifStale = process.argv.includes('--if-stale');
if (ifStale) {
  const clientSources = Math.max(newestMtime('client'), newestMtime('shared'), newestMtime('vite.config.ts'), newestMtime('index.html'));
  if (builtAt('dist/client/index.html') < clientSources) {
    process.stdout.write('Building the client…\n');
    buildClient();
  }
  const serverSources = Math.max(newestMtime('server'), newestMtime('shared'), newestMtime('emails'), newestMtime('scripts'), newestMtime('package.json'));
  if (builtAt(join(OUT, 'start.js')) < serverSources) {
    process.stdout.write('Building the server…\n');
    await buildServer();
  }
} else {
  const t0 = performance.now();
  await buildServer();
  process.stdout.write(
    `server bundle: ${OUT}/ (${Object.keys(ENTRIES)
      .map((e) => e + '.js')
      .join(', ')}) in ${Math.round(performance.now() - t0)} ms\n`,
  );
}
