/**
 * `npm run bench:start`: time from process start (`node dist/server/start.js`) to the first
 * `/readyz` 200, on an existing database (migrated by a first, uncounted start), several runs
 * (BENCH_START_RUNS, default 7): median, min and max. Beside it, in the same run, two floors:
 * `node -e ''` (Node itself) and `node` importing every package the server bundle imports
 * statically (dist/server/start.js and its chunks), without starting anything. Needs `npm run build`
 * first (the bench refuses a missing bundle). Uses TEST_DATABASE_URL, else PostgreSQL on
 * 127.0.0.1:5432, else an embedded PostgreSQL; creates its own database and drops it.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { choosePostgres, withDatabase } from '../support/pg-server.js';
import { machineLine, sortNum, sleep } from './bench-support.js';

const RUNS = Number(process.env.BENCH_START_RUNS ?? 7);
const TARGET_MS = 1500;
const BUNDLE = resolve('dist/server/start.js');

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** The bare package names the bundle imports statically (what `node dist/server/start.js` loads before main runs). */
function bundlePackages(): string[] {
  const seen = new Set<string>();
  const pkgs = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    // Static imports only: `import x from "y"`, `import "y"`, `export * from "y"` (esbuild's ESM output); dynamic import() stays lazy.
    for (const m of src.matchAll(/^(?:import|export)\s*(?:[^'"()]*?\sfrom\s*)?["']([^"']+)["'];?$/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else pkgs.add(spec);
    }
  };
  visit(BUNDLE);
  return [...pkgs].sort();
}

function stats(ms: number[]): { median: number; min: number; max: number } {
  const s = sortNum(ms);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

const fmt = (x: number) => `${Math.round(x)} ms`;

async function timeNode(args: string[]): Promise<number> {
  const t = performance.now();
  await new Promise<void>((res, rej) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', rej);
    child.once('exit', (code) => (code === 0 ? res() : rej(new Error(`node ${args.join(' ')} exited ${code}`))));
  });
  return performance.now() - t;
}

/** Starts the server, polls /readyz every 5 ms until 200, stops it with SIGTERM. Returns ms from spawn to the 200. */
async function timeStart(databaseUrl: string, nodeArgs: string[] = []): Promise<number> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    NODE_ENV: 'production',
  };
  delete env.SMTP_URL;
  const t = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, BUNDLE], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const state = { exited: false };
  const gone = new Promise<void>((res) => child.once('exit', () => ((state.exited = true), res())));
  try {
    for (;;) {
      if (state.exited) throw new Error(`the server exited before /readyz answered 200: ${stderr.trim()}`);
      if (performance.now() - t > 60_000) throw new Error('no /readyz 200 within 60 s');
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        await r.arrayBuffer();
        if (r.status === 200) return performance.now() - t;
      } catch {
        // not listening yet
      }
      await sleep(5);
    }
  } finally {
    child.kill('SIGTERM');
    await gone;
  }
}

if (!existsSync(BUNDLE)) {
  console.error('dist/server/start.js is missing: run `npm run build` first');
  process.exit(1);
}
const db = await choosePostgres();
const name = `admit_bench_start_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: db.url });
await admin.connect();
await admin.query(`create database ${name}`);
console.log(machineLine('at start'));
try {
  const url = withDatabase(db.url, name);
  const first = await timeStart(url);
  console.log(`first start (runs the migrations on an empty database, not counted): ${fmt(first)}`);
  const pkgs = bundlePackages();
  const importAll = `await Promise.all(${JSON.stringify(pkgs)}.map((p) => import(p)));`;
  const empty: number[] = [];
  const imports: number[] = [];
  const starts: number[] = [];
  const eager: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, so a change in the machine's load touches every series alike.
    empty.push(await timeNode(['-e', '']));
    imports.push(await timeNode(['--input-type=module', '-e', importAll]));
    starts.push(await timeStart(url));
    eager.push(await timeStart(url, ['--import', 'mjml']));
  }
  const e = stats(empty);
  const im = stats(imports);
  const s = stats(starts);
  const row = (label: string, x: { median: number; min: number; max: number }) =>
    console.log(`${label.padEnd(58)} median ${fmt(x.median).padStart(8)}   min ${fmt(x.min).padStart(8)}   max ${fmt(x.max).padStart(8)}`);
  console.log(`${RUNS} runs each, interleaved:`);
  row(`floor: node -e '' (Node alone)`, e);
  row(`floor: node importing the bundle's ${pkgs.length} packages, no start`, im);
  row('start: node dist/server/start.js → /readyz 200', s);
  const ea = stats(eager);
  row(`same, MJML imported before start (node --import mjml)`, ea);
  console.log(
    `ratio: start / import floor ${(s.median / im.median).toFixed(2)}; start − import floor ${fmt(s.median - im.median)} (connect, check migrations, listen, LISTEN, mail worker's first poll)`,
  );
  console.log(
    `MJML loaded lazily (at the first email's render) saves ${fmt(ea.median - s.median)} of the median start; before, the mail worker also compiled every template before /readyz`,
  );
  console.log(`target: start median < ${TARGET_MS} ms — ${s.median < TARGET_MS ? 'MET' : 'MISSED'}`);
  console.log(`packages imported at start: ${pkgs.join(' ')}`);
  console.log(machineLine('at end'));
} finally {
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
  await db.stop();
}
