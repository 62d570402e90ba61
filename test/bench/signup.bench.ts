/**
 * `npm run bench:signup` (issue 14, point 1): sign-ups per second through the real HTTP API beside
 * raw argon2id hashes per second with the same parameters and the same concurrency, in the same run.
 *
 * The server runs as production runs it: the esbuild bundle (`node dist/server/start.js`, rebuilt
 * from the sources first), NODE_ENV=production, configured through the environment, the mail worker
 * on and delivering over SMTP, in a child process (BENCH_SIGNUP_SERVER=tsx runs the sources under
 * tsx instead, to compare). Sign-ups come from here, each from its own client address (TRUST_PROXY=1
 * and X-Forwarded-For), so the per-address limits see distinct clients. An SMTP sink in this process
 * takes the mail without parsing it. For each concurrency (2, 8, 32) it prints sign-ups/s, p50/p99,
 * the floor (hashes/s of @node-rs/argon2 with the server's parameters, this process, same
 * concurrency), the ratio, and CPU per sign-up: the server process (every thread, from /proc; its
 * kernel part; its main thread), the part that is not the hash (server CPU minus the floor's CPU per
 * hash), PostgreSQL's backends of the bench database and the transactions they ran per sign-up
 * (pg_stat_database), and how the main thread's CPU splits (request handling, transaction,
 * listener, mail worker) from a CPU profile taken during the run (mapped to the sources through the
 * bundle's source maps; signup-probe.mjs, preloaded into the server, takes it).
 *
 * Knobs: BENCH_SIGNUP_SECONDS (8 per concurrency), BENCH_SIGNUP_CONCURRENCY (2,8,32),
 * BENCH_SIGNUP_SERVER (bundle | tsx), BENCH_SIGNUP_CPU_PROF (a path prefix: keep each run's profile).
 * Targets: server CPU apart from the hash ≤ 3 ms per sign-up; ratio ≥ 0.8 at concurrency 8.
 */
import pg from 'pg';
import { execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { hash } from '@node-rs/argon2';
import { choosePostgres, withDatabase } from '../support/pg-server.js';
import { machineLine, pct, postgresCpu, sleep, sortNum } from './bench-support.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '../..');
const SECONDS = Number(process.env.BENCH_SIGNUP_SECONDS ?? 8);
const LEVELS = (process.env.BENCH_SIGNUP_CONCURRENCY ?? '2,8,32').split(',').map(Number);
const SERVER = process.env.BENCH_SIGNUP_SERVER === 'tsx' ? 'tsx' : 'bundle';
const PROF_OUT = process.env.BENCH_SIGNUP_CPU_PROF;
const IDLE_MS = 2000;
const PASSWORD = 'a long benchmark passphrase';
// The server's parameters (server/security/password.ts): OWASP's argon2id, 19 MiB, t=2, p=1.
const ARGON = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

type Category = 'request' | 'transaction' | 'listener' | 'mail' | 'gc' | 'runtime';

/** Which part of the server a profile sample belongs to: the deepest frame of the server's own code that says. */
function categorize(urls: string[]): Category {
  for (const u of urls) {
    if (!u.includes('/server/')) continue;
    // The statement path (db/sql.ts) serves every part: its caller's frame says which.
    if (u.includes('/server/db/sql')) continue;
    if (u.includes('/server/mail/')) return 'mail';
    if (/\/server\/(events\/(listener|bus|subscription|session-guard)|db\/pg-listener)/.test(u)) return 'listener';
    if (/\/server\/(users\/registration|db\/faults|users\/users\.repository|settings\/|events\/append|terms\/|users\/registration-mail)/.test(u))
      return 'transaction';
    return 'request';
  }
  // No server frame on the stack: sockets, protocol parsing and timers of pg, http and ws called from the event loop.
  return 'runtime';
}

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/** Main-thread busy time per category from a V8 CPU profile (sampled wall time on the thread, idle left out). */
function splitProfile(
  profile: Profile,
  mapSource: (url: string, line: number, column: number) => string,
): {
  split: Record<Category, number>;
  packages: Record<string, number>;
} {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const cache = new Map<number, Category>();
  const out: Record<Category, number> = { request: 0, transaction: 0, listener: 0, mail: 0, gc: 0, runtime: 0 };
  const packages: Record<string, number> = {};
  const pkgCache = new Map<number, string>();
  // The library a sample without server frames was in: the leaf's package (node_modules/<name>), else the runtime's own code.
  const pkgOf = (id: number): string => {
    const hit = pkgCache.get(id);
    if (hit) return hit;
    const u = byId.get(id)!.callFrame.url;
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
    const p = m ? m[1]! : u.startsWith('node:') ? 'node' : u ? 'other' : byId.get(id)!.callFrame.functionName || 'native';
    pkgCache.set(id, p);
    return p;
  };
  const catOf = (id: number): Category => {
    const hit = cache.get(id);
    if (hit) return hit;
    const urls: string[] = [];
    const names: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      urls.push(mapSource(f.url, f.lineNumber, f.columnNumber));
      names.push(byId.get(cur)!.callFrame.functionName);
    }
    const c = names[0] === '(garbage collector)' ? 'gc' : categorize(urls);
    cache.set(id, c);
    return c;
  };
  const probeCache = new Map<number, boolean>();
  const probe = (id: number): boolean => {
    let hit = probeCache.get(id);
    if (hit === undefined) {
      hit = false;
      for (let cur: number | undefined = id; cur !== undefined && !hit; cur = parent.get(cur)) hit = byId.get(cur)!.callFrame.url.endsWith('signup-probe.mjs');
      probeCache.set(id, hit);
    }
    return hit;
  };
  profile.samples.forEach((id, i) => {
    const name = byId.get(id)!.callFrame.functionName;
    if (name === '(idle)') return;
    // The probe's own work (stopping the profiler, writing the profile) is the benchmark's, not the server's.
    if (probe(id)) return;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const c = catOf(id);
    out[c] += ms;
    if (c === 'runtime') packages[pkgOf(id)] = (packages[pkgOf(id)] ?? 0) + ms;
  });
  return { split: out, packages };
}

// ---- Parent.
async function floor(concurrency: number, seconds: number): Promise<{ perS: number; cpuMsPerHash: number }> {
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await hash(PASSWORD, ARGON);
        n++;
      }
    }),
  );
  const took = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { perS: n / took, cpuMsPerHash: (cpu.user + cpu.system) / 1000 / n };
}

/** A free TCP port on 127.0.0.1 (the server is given it: `npm start` takes PORT from the environment). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

// Linux: utime and stime are fields 14 and 15 of /proc/<pid>/stat (the whole process) and of
// /proc/<pid>/task/<tid>/stat (one thread; the main thread's tid is the pid), in ticks of 10 ms.
function cpuMs(path: string): { user: number; sys: number } {
  const stat = readFileSync(path, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) * 10, sys: Number(f[12]) * 10 };
}

/** The server's CPU ms so far: the whole process (every thread), its main thread, and every thread by its kind (name). */
function serverCpu(pid: number) {
  const all = cpuMs(`/proc/${pid}/stat`);
  const main = cpuMs(`/proc/${pid}/task/${pid}/stat`);
  const threads = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const t = cpuMs(`/proc/${pid}/task/${tid}/stat`);
      const kind =
        tid === String(pid)
          ? 'main'
          : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8')
              .trim()
              .replace(/[\d_-]+$/, '');
      threads.set(kind, (threads.get(kind) ?? 0) + t.user + t.sys);
    } catch {
      // the thread ended meanwhile
    }
  }
  return { user: all.user, sys: all.sys, main: main.user + main.sys, threads };
}

/** Maps a profile frame of the bundle (dist/server/*.js) back to its source file through the bundle's source maps. */
function sourceMapper(): (url: string, line: number, column: number) => string {
  const maps = new Map<string, SourceMap | null>();
  return (url, line, column) => {
    if (!url.startsWith('file://') || !url.includes('/dist/server/')) return url;
    let map = maps.get(url);
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(fileURLToPath(url) + '.map', 'utf8')) as SourceMapPayload);
      } catch {
        map = null;
      }
      maps.set(url, map);
    }
    const entry = map?.findEntry(line, column);
    const source = entry && 'originalSource' in entry ? entry.originalSource : undefined;
    return source ? source.replace(/^(\.\.\/)+/, '/') : url;
  };
}

export async function main(): Promise<boolean> {
  const db = await choosePostgres();
  const name = `admit_bench_signup_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = withDatabase(db.url, name);
  let mails = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, cb) {
      stream.on('end', () => {
        mails++;
        cb();
      });
      stream.resume();
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  // What production runs: the esbuild bundle (`npm run build` → `node dist/server/start.js`), rebuilt here
  // so it matches the sources. BENCH_SIGNUP_SERVER=tsx runs the sources under tsx instead (development's way).
  const bundle = SERVER === 'bundle';
  if (bundle) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  // The database is migrated and the bot settings written before the server starts (as an operator would).
  {
    const { openDatabase } = await import('../../server/db/database.js');
    const { createLogger } = await import('../../server/logger.js');
    const { writeSecuritySettings } = await import('../../server/settings/security-settings.service.js');
    const { DEFAULT_SECURITY_SETTINGS } = await import('../../shared/schemas/security.js');
    const orm = await openDatabase(url, createLogger('warn'));
    // No proof-of-work or minimum form time (a browser's cost, not the server's); everything else as shipped.
    await writeSecuritySettings(orm.em.fork(), { ...DEFAULT_SECURITY_SETTINGS, powEnabled: false, honeypotEnabled: false, minSubmitSeconds: 0 });
    await orm.close();
  }
  const port = await freePort();
  const child = fork(bundle ? join(ROOT, 'dist/server/start.js') : join(ROOT, 'server/start.ts'), [], {
    cwd: ROOT,
    execArgv: [...(bundle ? [] : ['--import', 'tsx']), '--import', pathToFileURL(join(HERE, 'signup-probe.mjs')).href],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: url,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      TRUST_PROXY: '1',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      MAIL_FROM: 'Admit <admit@bench.test>',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = child.pid!;
  const waiters: ((m: any) => boolean)[] = [];
  child.on('message', (m) => {
    const i = waiters.findIndex((w) => w(m));
    if (i >= 0) waiters.splice(i, 1);
  });
  const ask = <T>(msg: Record<string, unknown>, key: string) => {
    const p = new Promise<T>((res) => waiters.push((m) => (key in m ? (res(m as T), true) : false)));
    child.send(msg);
    return p;
  };
  const base = `http://127.0.0.1:${port}`;
  const origin = base;
  const profDir = mkdtempSync(join(tmpdir(), 'admit-bench-signup-'));
  const mapSource = sourceMapper();
  const pgTransactions = async () => {
    await admin.query('select pg_stat_clear_snapshot()');
    const r = await admin.query<{ n: string }>(`select xact_commit + xact_rollback as n from pg_stat_database where datname = $1`, [name]);
    return Number(r.rows[0]?.n ?? 0);
  };
  let ok = true;
  try {
    for (const t0 = performance.now(); ; await sleep(50)) {
      if (child.exitCode !== null) throw new Error('the server exited before /readyz answered 200');
      if (performance.now() - t0 > 60_000) throw new Error('no /readyz 200 within 60 s');
      const r = await fetch(`${base}/readyz`).catch(() => null);
      if (r?.status === 200) break;
    }
    console.log(
      `Admit sign-up benchmark — ${db.kind}, Node ${process.version}, server: ${bundle ? 'node dist/server/start.js (the production bundle)' : 'tsx server/start.ts'} in a child process, NODE_ENV=production, mail over SMTP`,
    );
    console.log(machineLine('at start'));
    let seq = 0;
    // The load generator: node:http with kept-alive connections (a browser's way), cheaper per request than
    // fetch, so less of the two cores goes to the benchmark's own side.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const post = (path: string, headers: Record<string, string>, body: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const signUp = async (): Promise<number> => {
      const i = ++seq;
      const t = performance.now();
      const res = await post(
        '/trpc/auth.signup',
        { 'content-type': 'application/json', origin, 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
        JSON.stringify({
          firstName: 'Bench',
          lastName: `Signup ${i}`,
          email: `signup.${i}.${process.pid}@bench-signup.test`,
          password: PASSWORD,
          confirmPassword: PASSWORD,
        }),
      );
      if (res.status !== 200) throw new Error(`sign-up ${i}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
      return performance.now() - t;
    };
    // Warm-up: code compiled, pools filled, the email templates compiled.
    for (let i = 0; i < 20; i++) await signUp();
    await sleep(1000);
    const targets: { figure: string; value: string; target: string; met: boolean }[] = [];
    console.log('');
    for (const c of LEVELS) {
      // The floor is taken before and after the sign-ups and averaged: a machine whose load changes meanwhile shows in the two.
      const before = await floor(c, Math.min(SECONDS, 5) / 2);
      // The server's and PostgreSQL's CPU while nothing signs up (the mail and webhook workers' polls, the jobs): not per sign-up.
      const idlePg = await postgresCpu(admin, name);
      const idle0 = serverCpu(pid);
      const idleT0 = performance.now();
      await sleep(IDLE_MS);
      const idleS = (performance.now() - idleT0) / 1000;
      const idle1 = serverCpu(pid);
      const idleServerPerS = (idle1.user + idle1.sys - idle0.user - idle0.sys) / idleS;
      const idlePgPerS = ((await idlePg()) ?? 0) / idleS;
      const pgCpu = await postgresCpu(admin, name);
      const here0 = process.cpuUsage();
      const tx0 = await pgTransactions();
      const cpu0 = serverCpu(pid);
      await ask({ cmd: 'profile-start' }, 'profiling');
      const lat: number[] = [];
      const end = performance.now() + SECONDS * 1000;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: c }, async () => {
          while (performance.now() < end) lat.push(await signUp());
        }),
      );
      const took = (performance.now() - t0) / 1000;
      // Let the mail worker and the listener finish what these sign-ups caused before reading CPU.
      await sleep(1500);
      const window = (performance.now() - t0) / 1000;
      const here = process.cpuUsage(here0);
      const file = join(profDir, `c${c}.cpuprofile`);
      await ask({ cmd: 'profile-stop', file }, 'profile');
      const cpu1 = serverCpu(pid);
      const pgMs = await pgCpu();
      const txs = (await pgTransactions()) - tx0;
      const after = await floor(c, Math.min(SECONDS, 5) / 2);
      const hashes = { perS: (before.perS + after.perS) / 2, cpuMsPerHash: (before.cpuMsPerHash + after.cpuMsPerHash) / 2 };
      const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
      if (PROF_OUT) writeFileSync(`${PROF_OUT}.c${c}.cpuprofile`, JSON.stringify(profile));
      const { split, packages } = splitProfile(profile, mapSource);
      const n = lat.length;
      const perS = n / took;
      const serverRawMs = (cpu1.user + cpu1.sys - cpu0.user - cpu0.sys) / n;
      // Per sign-up, less what the server spends idle over the same window.
      const serverMs = serverRawMs - (idleServerPerS * window) / n;
      const pgNetMs = pgMs === null ? null : (pgMs - idlePgPerS * window) / n;
      // This process: the load generator (node:http) and the SMTP sink. The floor ran alone; these did not.
      const hereMs = (here.user + here.system) / 1000 / n;
      const machineMs = serverMs + (pgNetMs ?? 0) + hereMs;
      // If the two cores did nothing but sign-ups, this many per second: what the ratio can reach on this machine.
      const ceiling = (cpus().length * 1000) / machineMs / hashes.perS;
      const sysMs = (cpu1.sys - cpu0.sys) / n;
      const mainMs = (cpu1.main - cpu0.main) / n;
      const beyondHash = serverMs - hashes.cpuMsPerHash;
      const s = sortNum(lat);
      const ratio = perS / hashes.perS;
      // The profile gives the main thread's shares of its busy time; the main thread's CPU is spread by them.
      const busy = Object.values(split).reduce((a, v) => a + v, 0) || 1;
      const parts = (Object.entries(split) as [Category, number][])
        .map(([k, v]) => `${k} ${((v / busy) * 100).toFixed(0)}% ≈ ${((v / busy) * mainMs).toFixed(2)} ms`)
        .join(', ');
      console.log(
        `concurrency ${String(c).padStart(2)}: ${perS.toFixed(1)} sign-ups/s (p50 ${pct(s, 50).toFixed(1)} ms, p99 ${pct(s, 99).toFixed(1)} ms, ${n} sign-ups)` +
          ` | floor ${hashes.perS.toFixed(1)} hashes/s (${before.perS.toFixed(1)} before, ${after.perS.toFixed(1)} after) | ratio ${ratio.toFixed(2)}`,
      );
      console.log(
        `   CPU per sign-up, less idle (server ${idleServerPerS.toFixed(1)} ms/s, PostgreSQL ${idlePgPerS.toFixed(1)} ms/s): server ${serverMs.toFixed(2)} ms (${serverRawMs.toFixed(2)} with idle; kernel ${sysMs.toFixed(2)} ms;` +
          ` hash ${hashes.cpuMsPerHash.toFixed(2)} ms, the rest ${beyondHash.toFixed(2)} ms; main thread ${mainMs.toFixed(2)} ms),` +
          ` PostgreSQL ${pgNetMs === null ? 'n/a' : pgNetMs.toFixed(2) + ' ms'} in ${(txs / n).toFixed(1)} transactions (a statement outside a transaction counts one),` +
          ` load generator + SMTP sink ${hereMs.toFixed(2)} ms`,
      );
      console.log(
        `   machine CPU per sign-up ${machineMs.toFixed(2)} ms on ${cpus().length} cores: at most ${((cpus().length * 1000) / machineMs).toFixed(0)} sign-ups/s, a ratio of ${ceiling.toFixed(2)}, if nothing else ran`,
      );
      const byThread = [...cpu1.threads]
        .map(([k, v]) => [k, (v - (cpu0.threads.get(k) ?? 0)) / n] as const)
        .filter(([, v]) => v > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v.toFixed(2)} ms`)
        .join(', ');
      console.log(`   server CPU by thread (with idle): ${byThread}`);
      console.log(`   the main thread's CPU by part (CPU profile): ${parts}`);
      const top = Object.entries(packages)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([k, v]) => `${k} ${((v / busy) * 100).toFixed(0)}%`)
        .join(', ');
      console.log(`   runtime by leaf frame: ${top}`);
      if (c === 8) targets.push({ figure: 'ratio at concurrency 8', value: ratio.toFixed(2), target: '≥ 0.8', met: ratio >= 0.8 });
      targets.push({
        figure: `server CPU apart from the hash, concurrency ${c}`,
        value: `${beyondHash.toFixed(2)} ms`,
        target: '≤ 3 ms',
        met: beyondHash <= 3,
      });
    }
    agent.destroy();
    console.log(`mail delivered to the SMTP sink: ${mails}`);
    console.log(machineLine('at end'));
    console.log('targets:');
    for (const t of targets) console.log(`  ${t.met ? 'MET   ' : 'MISSED'} ${t.figure}: ${t.value} (target ${t.target})`);
    ok = targets.every((t) => t.met);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    smtp.close();
    rmSync(profDir, { recursive: true, force: true });
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
    await db.stop();
  }
  return ok;
}

main()
  .then((ok) => {
    if (!ok) process.exitCode = 1;
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
