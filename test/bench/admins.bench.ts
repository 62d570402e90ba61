/**
 * `npm run bench:admins` (issue 14 point 5): N admins on one server process. One admin logs in once
 * (auth.login over HTTP); its session cookie opens N WebSockets, each subscribed to
 * `admin.events.onUserEvent` (the admin shell's live stream), spread over client child processes
 * (BENCH_CLIENT_PROCS, default 4; each from its own loopback address so ports do not run out).
 * For each N (BENCH_NS, default 500,2000,10000) it prints:
 *   - the server's heap+external per connection and RSS per connection (before vs after opening the
 *     N sockets, each after several forced GCs; the server runs in a forked child with --expose-gc)
 *     and the server's total RSS;
 *   - the last-of-N delivery latency (COMMIT of one sign-up → the last of the N sockets has its
 *     event; BENCH_REPS events, default 20, after 3 warm-ups) p50/p95/max;
 *   - the floor: a bare `ws` server in the same server process sending a frame of the same size
 *     to N sockets opened by the same client processes (send → last of N has it), and the ratio.
 * Times across processes come from process.hrtime (CLOCK_MONOTONIC, one clock for the machine).
 * Targets: heap+external per connection < 30 KB; p95 ≤ 1.5× the floor's p95.
 *
 * The file limit: the bench raises its own soft RLIMIT_NOFILE to the hard limit (prlimit on its
 * own pid) before forking, so the server and clients inherit it. The server's per-IP WebSocket
 * budget (WS_MAX_CONNECTIONS_PER_IP, default 20) is raised for the bench's server only to the
 * sockets one client process opens; production defaults are unchanged.
 * Database: TEST_DATABASE_URL, else 127.0.0.1:5432, else embedded; a throwaway database, dropped.
 * BENCH_CPU_PROF=<file>: a CPU profile of the server during the largest N's deliveries.
 * BENCH_HEAP_SNAPSHOT=<prefix>: server heap snapshots (<prefix>-before/-after.heapsnapshot) around
 * opening the first N's sockets, to see what a connection holds.
 */
import pg from 'pg';
import WebSocket, { WebSocketServer } from 'ws';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { MikroORM } from '@mikro-orm/postgresql';
import { choosePostgres, withDatabase } from '../support/pg-server.js';
import { login } from '../security/support/raw.js';
import { SESSION_COOKIE } from '../../shared/constants.js';
import { machineLine, pct, sleep, sortNum } from './bench-support.js';

const SELF = fileURLToPath(import.meta.url);
const NS = (process.env.BENCH_NS ?? '500,2000,10000').split(',').map((s) => Number(s.trim()));
const REPS = Number(process.env.BENCH_REPS ?? 20);
const WARMUP = 3;
const CLIENT_PROCS = Number(process.env.BENCH_CLIENT_PROCS ?? 4);
const ADMIN = { email: 'bench.admin@example.com', password: 'correct horse battery staple' };
const MAX_N = Math.max(...NS);
const PER_CLIENT = Math.ceil(MAX_N / CLIENT_PROCS);

const nowMs = () => Number(process.hrtime.bigint() / 1000n) / 1000;
const ms = (v: number) => `${v.toFixed(1)} ms`;
const kb = (v: number) => `${(v / 1024).toFixed(1)} KB`;
const mb = (v: number) => `${(v / 1024 / 1024).toFixed(0)} MB`;

type Msg = Record<string, any>;
class Peer {
  private waiters: ((m: Msg) => boolean)[] = [];
  readonly all: Msg[] = [];
  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: Msg) => {
      this.waiters = this.waiters.filter((w) => !w(m));
    });
  }
  on(pred: (m: Msg) => boolean, fn: (m: Msg) => void) {
    this.waiters.push((m) => (pred(m) ? (fn(m), false) : false));
  }
  next(pred: (m: Msg) => boolean): Promise<Msg> {
    return new Promise((res) => this.waiters.push((m) => (pred(m) ? (res(m), true) : false)));
  }
  ask(cmd: Msg, reply: string): Promise<Msg> {
    const p = this.next((m) => reply in m);
    this.proc.send(cmd);
    return p;
  }
}

// ---------------------------------------------------------------------------------------------
// Server child: the real app (startApp) and the floor's bare ws server; answers over IPC.

async function runServerChild() {
  const { parseConfig } = await import('../../server/config.js');
  const { startApp } = await import('../../server/app.js');
  const { createLogger } = await import('../../server/logger.js');
  const config = parseConfig({
    PORT: '0',
    LOG_LEVEL: 'warn',
    MAIL_WORKER: 'false',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    WS_MAX_CONNECTIONS_PER_IP: process.env.BENCH_WS_PER_IP!,
  });
  const app = await startApp({ config, databaseUrl: process.env.BENCH_DATABASE_URL!, log: createLogger('warn') });
  const floor = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise((r) => floor.once('listening', r));
  const gc = (globalThis as { gc?: () => void }).gc!;
  const memory = async () => {
    for (let i = 0; i < 4; i++) {
      gc();
      await sleep(50);
    }
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, external: m.external, rss: m.rss };
  };
  const inspector = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  let session: InstanceType<typeof inspector.Session> | undefined;
  process.on('message', (msg: Msg) => {
    void (async () => {
      if (msg.cmd === 'memory') process.send!({ memory: await memory(), clients: app.wss.clients.size, floorClients: floor.clients.size });
      if (msg.cmd === 'heap-snapshot') {
        const v8 = await import('node:v8');
        await memory();
        process.send!({ snapshot: v8.writeHeapSnapshot(msg.file) });
      }
      if (msg.cmd === 'broadcast') {
        // The same work a broadcast needs at the least: one frame of the same size written to every socket.
        const text = `{"seq":${msg.seq},"pad":"${'x'.repeat(Math.max(0, msg.bytes - 20 - String(msg.seq).length))}"}`;
        const t0 = nowMs();
        for (const ws of floor.clients) ws.send(text);
        process.send!({ broadcast: msg.seq, t0 });
      }
      if (msg.cmd === 'profile-start') {
        session = new inspector.Session();
        session.connect();
        session.post('Profiler.enable', () => session!.post('Profiler.start', () => process.send!({ profiling: true })));
      }
      if (msg.cmd === 'profile-stop')
        session!.post('Profiler.stop', (_e, r) => {
          writeFileSync(process.env.BENCH_CPU_PROF!, JSON.stringify(r.profile));
          process.send!({ profiling: false });
        });
      if (msg.cmd === 'stop') {
        floor.close();
        await app.close();
        process.exit(0);
      }
    })();
  });
  process.send!({ ready: true, url: app.url, origin: app.services.allowedOrigins()[0], floorPort: (floor.address() as AddressInfo).port });
}

// ---------------------------------------------------------------------------------------------
// Client child: opens sockets on command, tallies arrivals per event, reports when its last socket has one.

const DATA_ID = /"result":\{"type":"data","data":\{"id":"(\d+)"/;
const SEQ = /^\{"seq":(\d+),/;

async function runClientChild() {
  const local = process.env.BENCH_LOCAL_ADDRESS!;
  let socks: WebSocket[] = [];
  let expected = 0;
  let frameBytes = 0;
  const tally = new Map<string, number>();
  const arrived = (key: string) => {
    const n = (tally.get(key) ?? 0) + 1;
    if (n === expected) {
      tally.delete(key);
      process.send!({ done: key, last: nowMs() });
    } else tally.set(key, n);
  };
  const openOne = (m: Msg): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const trpc = m.kind === 'trpc';
      const ws = new WebSocket(m.url, { headers: m.headers, perMessageDeflate: false, localAddress: local });
      ws.on('error', reject);
      if (!trpc) ws.on('open', () => resolve(ws));
      else
        ws.on('open', () =>
          ws.send(JSON.stringify({ id: 1, method: 'subscription', params: { path: 'admin.events.onUserEvent', input: { lastEventId: null } } })),
        );
      let started = !trpc;
      ws.on('message', (raw) => {
        const s = (raw as Buffer).toString();
        if (!trpc) {
          const k = SEQ.exec(s);
          if (k) arrived(`f${k[1]}`);
          return;
        }
        const d = DATA_ID.exec(s);
        if (d) {
          frameBytes = (raw as Buffer).length;
          arrived(`e${d[1]}`);
        } else if (s === 'PING') ws.send('PONG');
        else if (s.includes('"type":"started"')) {
          started = true;
          resolve(ws);
        } else if (!started) reject(new Error(s.slice(0, 300)));
      });
    });
  process.on('message', (m: Msg) => {
    void (async () => {
      if (m.cmd === 'open') {
        try {
          for (let i = 0; i < m.count; i += 50) socks.push(...(await Promise.all(Array.from({ length: Math.min(50, m.count - i) }, () => openOne(m)))));
          expected = socks.length;
          process.send!({ opened: socks.length });
        } catch (e) {
          process.send!({ opened: -1, error: String(e) });
        }
      }
      if (m.cmd === 'close') {
        await Promise.all(
          socks.map(
            (ws) =>
              new Promise<void>((r) => {
                if (ws.readyState === WebSocket.CLOSED) return r();
                ws.once('close', () => r());
                ws.close();
              }),
          ),
        );
        socks = [];
        expected = 0;
        tally.clear();
        process.send!({ closed: true, frameBytes });
      }
      if (m.cmd === 'stop') process.exit(0);
    })();
  });
  process.send!({ ready: true });
}

// ---------------------------------------------------------------------------------------------
// Parent

/** Soft RLIMIT_NOFILE raised to the hard one (prlimit on this process); children inherit it. */
function raiseFileLimit(need: number): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'))!;
  const [soft, hard] = line
    .replace('Max open files', '')
    .trim()
    .split(/\s+/)
    .map((v) => (v === 'unlimited' ? Infinity : Number(v)));
  if (hard! < need) throw new Error(`the hard file limit (${hard}) is below the ${need} the server needs; raise it (ulimit -Hn as root) first`);
  if (soft! < need) execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`]);
  return Math.max(soft!, hard === Infinity ? need : hard!);
}

async function main() {
  const limit = raiseFileLimit(MAX_N + 1000);
  const db = await choosePostgres();
  const name = `admit_bench_${randomBytes(4).toString('hex')}`;
  const pgAdmin = new pg.Client({ connectionString: db.url });
  await pgAdmin.connect();
  await pgAdmin.query(`create database ${name}`);
  const url = withDatabase(db.url, name);
  const kids: Peer[] = [];
  let server: Peer | undefined;
  let orm: MikroORM | undefined;
  const misses: string[] = [];
  try {
    server = new Peer(
      fork(SELF, ['--server'], {
        execArgv: ['--expose-gc', '--import', 'tsx'],
        env: { ...process.env, BENCH_DATABASE_URL: url, BENCH_WS_PER_IP: String(PER_CLIENT + 10) },
        stdio: 'inherit',
      }),
    );
    const ready = (await server.next((m) => m.ready)) as { url: string; origin: string; floorPort: number };
    for (let i = 0; i < CLIENT_PROCS; i++) {
      const k = new Peer(
        fork(SELF, ['--client'], { execArgv: ['--import', 'tsx'], env: { ...process.env, BENCH_LOCAL_ADDRESS: `127.0.0.${10 + i}` }, stdio: 'inherit' }),
      );
      kids.push(k);
    }
    await Promise.all(kids.map((k) => k.next((m) => m.ready)));
    const cookie = `${SESSION_COOKIE}=${await login(ready.url, ready.origin, ADMIN.email, ADMIN.password)}`;

    const { ormConfig } = await import('../../server/db/mikro-orm.config.js');
    const { appendEvent } = await import('../../server/events/append.js');
    const { loadUserSnapshot } = await import('../../server/users/users.repository.js');
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- init() builds this very class; its declared return type is the base class
    orm = await MikroORM.init(ormConfig(url, { poolMax: 2 }));
    let seq = 0;
    /** What the sign-up service commits: a pending user and its user.registered event. Returns the event id and when COMMIT returned. */
    const signUp = async () => {
      const id = randomUUID();
      const eventId = await orm!.em.fork().transactional(async (tx) => {
        await tx.execute(
          `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
           values (?, ?, 'Bench', 'Developer', (select id from organisation where is_default), 'developer', 'pending', null, false, now(), now(), 1)`,
          [id, `bench.dev.${++seq}@example.test`],
        );
        const user = (await loadUserSnapshot(tx, id))!;
        return appendEvent(tx, 'user.registered', { user, autoApproved: false }, { actorId: null, userId: id });
      });
      return { key: `e${eventId}`, t0: nowMs() };
    };

    // Each client process reports { done: key, last } when its last socket has the frame.
    const pending = new Map<string, { left: number; last: number; resolve: (last: number) => void }>();
    const early = new Map<string, { left: number; last: number }>();
    for (const k of kids)
      k.on(
        (m) => 'done' in m,
        (m) => {
          const key = m.done as string;
          const waiting = pending.get(key);
          const p = waiting ?? early.get(key) ?? { left: kids.length, last: 0 };
          p.left--;
          p.last = Math.max(p.last, m.last as number);
          if (!waiting) early.set(key, p);
          else if (p.left === 0) waiting.resolve(p.last);
        },
      );
    const lastOfN = async (fire: () => Promise<{ key: string; t0: number }>): Promise<number> => {
      const { key, t0 } = await fire();
      const e = early.get(key);
      early.delete(key);
      const last = await new Promise<number>((resolve, reject) => {
        const entry = { left: e?.left ?? kids.length, last: e?.last ?? 0, resolve };
        if (entry.left === 0) return resolve(entry.last);
        pending.set(key, entry);
        setTimeout(() => reject(new Error(`${key}: ${entry.left} client processes still waiting after 60 s`)), 60_000).unref();
      });
      pending.delete(key);
      return Math.max(0, last - t0);
    };
    const openAll = async (n: number, kind: 'trpc' | 'floor') => {
      const target =
        kind === 'trpc'
          ? { url: ready.url.replace(/^http/, 'ws') + '/trpc', headers: { origin: ready.origin, cookie } }
          : { url: `ws://127.0.0.1:${ready.floorPort}`, headers: {} };
      const t = performance.now();
      const per = kids.map((_, i) => Math.floor(n / kids.length) + (i < n % kids.length ? 1 : 0));
      const r = await Promise.all(kids.map((k, i) => k.ask({ cmd: 'open', kind, count: per[i], ...target }, 'opened')));
      const bad = r.find((x) => x.opened < 0);
      if (bad) throw new Error(`opening ${kind} sockets failed: ${bad.error}`);
      return performance.now() - t;
    };
    const closeAll = async () => (await Promise.all(kids.map((k) => k.ask({ cmd: 'close' }, 'closed')))).map((x) => x.frameBytes as number);
    const mem = () => server!.ask({ cmd: 'memory' }, 'memory');

    console.log(`Admit: N admins on one server process — ${db.kind}, Node ${process.version}, ${CLIENT_PROCS} client processes, file limit ${limit}`);
    console.log(machineLine('at start'));
    console.log(`bench server: WS_MAX_CONNECTIONS_PER_IP=${PER_CLIENT + 10} (production default 20), each client process from its own 127.0.0.x`);
    console.log('');

    // Warm-up: code paths compiled, pools filled.
    await openAll(Math.min(200, NS[0]!), 'trpc');
    for (let i = 0; i < WARMUP; i++) await lastOfN(signUp);
    let frameBytes = Math.max(...(await closeAll()));

    for (const n of NS) {
      await sleep(500);
      const snapshot = process.env.BENCH_HEAP_SNAPSHOT && n === NS[0];
      if (snapshot) await server.ask({ cmd: 'heap-snapshot', file: `${process.env.BENCH_HEAP_SNAPSHOT}-before.heapsnapshot` }, 'snapshot');
      const before = await mem();
      const openMs = await openAll(n, 'trpc');
      await sleep(500);
      const after = await mem();
      if (snapshot) await server.ask({ cmd: 'heap-snapshot', file: `${process.env.BENCH_HEAP_SNAPSHOT}-after.heapsnapshot` }, 'snapshot');
      type Memory = { heapUsed: number; external: number; rss: number };
      const [b, a] = [before.memory as Memory, after.memory as Memory];
      if (after.clients !== n) throw new Error(`expected ${n} subscribed sockets on the server, found ${after.clients}`);
      const heapPer = (a.heapUsed + a.external - b.heapUsed - b.external) / n;
      const rssPer = (a.rss - b.rss) / n;
      for (let i = 0; i < WARMUP; i++) await lastOfN(signUp);
      const profile = process.env.BENCH_CPU_PROF && n === MAX_N;
      if (profile) await server.ask({ cmd: 'profile-start' }, 'profiling');
      const lat: number[] = [];
      for (let i = 0; i < REPS; i++) {
        lat.push(await lastOfN(signUp));
        await sleep(100);
      }
      if (profile) await server.ask({ cmd: 'profile-stop' }, 'profiling');
      frameBytes = Math.max(frameBytes, ...(await closeAll()));

      // Floor: the same client processes, a bare ws server in the server process, a frame of the same size.
      await sleep(500);
      await openAll(n, 'floor');
      let fseq = 0;
      const broadcast = async () => {
        const s = ++fseq;
        const r = await server!.ask({ cmd: 'broadcast', seq: s, bytes: frameBytes }, 'broadcast');
        return { key: `f${s}`, t0: r.t0 as number };
      };
      for (let i = 0; i < WARMUP; i++) await lastOfN(broadcast);
      const flo: number[] = [];
      for (let i = 0; i < REPS; i++) {
        flo.push(await lastOfN(broadcast));
        await sleep(100);
      }
      await closeAll();

      const s = sortNum(lat);
      const f = sortNum(flo);
      const ratio = pct(s, 95) / pct(f, 95);
      console.log(
        `N=${n.toLocaleString('en-US')}: opened in ${(openMs / 1000).toFixed(1)} s; server memory per connection heap+external ${kb(heapPer)}, RSS ${kb(rssPer)}; server RSS ${mb(a.rss)}`,
      );
      console.log(
        `  last of N after COMMIT: p50 ${ms(pct(s, 50))}  p95 ${ms(pct(s, 95))}  max ${ms(s[s.length - 1]!)}  | floor (bare ws, ${frameBytes} B frame): p50 ${ms(pct(f, 50))}  p95 ${ms(pct(f, 95))}  max ${ms(f[f.length - 1]!)}  | p95 ratio ${ratio.toFixed(2)}×  (${REPS} events)`,
      );
      if (!(heapPer < 30 * 1024)) misses.push(`N=${n}: heap+external per connection ${kb(heapPer)} (target < 30 KB)`);
      if (!(ratio <= 1.5)) misses.push(`N=${n}: p95 ratio ${ratio.toFixed(2)}× the floor (target ≤ 1.5×)`);
    }
    console.log(machineLine('at end'));
    console.log('');
    console.log(misses.length ? `targets MISSED:\n  ${misses.join('\n  ')}` : 'targets: all MET (heap+external < 30 KB per connection, p95 ≤ 1.5× floor)');
    if (misses.length) process.exitCode = 1;
  } finally {
    await orm?.close(true).catch(() => undefined);
    for (const k of kids) {
      k.proc.send({ cmd: 'stop' });
      setTimeout(() => k.proc.exitCode === null && k.proc.kill(), 5_000).unref();
    }
    if (server) {
      const exited = new Promise((r) => server!.proc.once('exit', r));
      server.proc.send({ cmd: 'stop' });
      await Promise.race([exited, sleep(15_000)]);
      if (server.proc.exitCode === null) server.proc.kill();
    }
    await pgAdmin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await pgAdmin.end();
    await db.stop();
  }
}

const role = process.argv.includes('--server') ? runServerChild : process.argv.includes('--client') ? runClientChild : main;
role().catch((e) => {
  console.error(e);
  process.exit(1);
});
