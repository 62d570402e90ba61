/**
 * `npm run bench:live`: how fast a committed sign-up reaches the admins watching the live
 * dashboard, against the floor of the same machine, plus memory per idle connection and heap
 * stability. The real server (startApp) runs in a forked child process (with --expose-gc), so its
 * memory is measured apart from the clients; the clients (raw `ws` sockets speaking tRPC's
 * subscription protocol) and the sign-ups run here. Database: TEST_DATABASE_URL, else PostgreSQL
 * on 127.0.0.1:5432 when it answers, else an embedded one; a throwaway database is created and
 * dropped either way.
 *
 * A sign-up here is what the sign-up service commits: a pending user and its user.registered
 * event (appendEvent) in one transaction. Latency runs from the moment that COMMIT returns to the
 * moment the event's message is read from the admin's socket.
 */
import pg from 'pg';
import WebSocket, { WebSocketServer } from 'ws';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { choosePostgres, withDatabase } from '../support/pg-server.js';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { MikroORM } from '@mikro-orm/postgresql';
import { SESSION_COOKIE } from '../../shared/constants.js';
import { generateSessionToken, sessionIdOf } from '../../server/sessions/session-store.js';

const SELF = fileURLToPath(import.meta.url);
const SAMPLES_ONE = Number(process.env.BENCH_SAMPLES_ONE ?? 400);
const SAMPLES_MANY = Number(process.env.BENCH_SAMPLES_MANY ?? 200);
const ADMINS = Number(process.env.BENCH_ADMINS ?? 500);
const CYCLES = Number(process.env.BENCH_CYCLES ?? 5000);
const FLOOR_SAMPLES = 400;

// ---------------------------------------------------------------------------------------------
// Child: the real server, plus a raw ws echo server for the floor. Answers memory questions over IPC.

interface MemoryFigures {
  heapUsed: number;
  external: number;
  rss: number;
}

async function runServerChild() {
  const { parseConfig } = await import('../../server/config.js');
  const { startApp } = await import('../../server/app.js');
  const { createLogger } = await import('../../server/logger.js');
  const config = parseConfig({ PORT: '0', LOG_LEVEL: 'warn', MAIL_WORKER: 'false', WS_MAX_CONNECTIONS_PER_IP: '100000' });
  const app = await startApp({ config, databaseUrl: process.env.BENCH_DATABASE_URL!, log: createLogger('warn') });
  // The floor's ws half: the same library, no tRPC, no database.
  const echo = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  echo.on('connection', (ws) => ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary })));
  await new Promise((r) => echo.once('listening', r));
  const gc = (globalThis as { gc?: () => void }).gc;
  const measure = async (): Promise<MemoryFigures> => {
    // Several rounds: finalizers and weak references free more on the second and third pass.
    for (let i = 0; i < 4; i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 50));
    }
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, external: m.external, rss: m.rss };
  };
  const onMessage = async (msg: { cmd: string }) => {
    if (msg.cmd === 'memory') process.send!({ memory: await measure(), clients: app.wss.clients.size });
    if (msg.cmd === 'cpu') process.send!({ cpu: process.cpuUsage() });
    // BENCH_CPU_PROF=<file>: a CPU profile of the server during the 500-admin deliveries (BENCH_CPU_PROF_PHASE=one: the 1-admin ones).
    if (msg.cmd === 'profile-start' || msg.cmd === 'profile-stop') {
      const inspector = await import('node:inspector');
      const { writeFileSync } = await import('node:fs');
      const g = globalThis as { __benchSession?: InstanceType<typeof inspector.Session> };
      if (msg.cmd === 'profile-start') {
        g.__benchSession = new inspector.Session();
        g.__benchSession.connect();
        g.__benchSession.post('Profiler.enable', () => g.__benchSession!.post('Profiler.start', () => process.send!({ profiling: true })));
      } else {
        g.__benchSession!.post('Profiler.stop', (_e, r) => {
          writeFileSync(process.env.BENCH_CPU_PROF!, JSON.stringify(r.profile));
          process.send!({ profiling: false });
        });
      }
    }
    if (msg.cmd === 'stop') {
      echo.close();
      await app.close();
      process.send!({ stopped: true });
      process.exit(0);
    }
  };
  process.on('message', (msg: { cmd: string }) => void onMessage(msg));
  process.send!({ ready: true, url: app.url, origin: app.services.allowedOrigins()[0], echoPort: (echo.address() as AddressInfo).port, gc: Boolean(gc) });
}

// ---------------------------------------------------------------------------------------------
// Parent

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const sortNum = (a: number[]) => [...a].sort((x, y) => x - y);
const ms = (v: number) => `${v.toFixed(2)} ms`;
const kb = (v: number) => `${(v / 1024).toFixed(1)} KB`;
const mb = (v: number) => `${(v / 1024 / 1024).toFixed(1)} MB`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

class Child {
  private waiters: ((m: any) => boolean)[] = [];
  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m) => {
      this.waiters = this.waiters.filter((w) => !w(m));
    });
  }
  next<T>(pred: (m: any) => boolean): Promise<T> {
    return new Promise((res) => this.waiters.push((m) => (pred(m) ? (res(m), true) : false)));
  }
  async profile(on: boolean, phase: 'one' | 'many'): Promise<void> {
    if (!process.env.BENCH_CPU_PROF || (process.env.BENCH_CPU_PROF_PHASE ?? 'many') !== phase) return;
    const p = this.next((m) => 'profiling' in m);
    this.proc.send({ cmd: on ? 'profile-start' : 'profile-stop' });
    await p;
  }
  /** The server process's CPU time so far (user + system), in ms. */
  async cpuMs(): Promise<number> {
    const p = this.next<{ cpu: NodeJS.CpuUsage }>((m) => 'cpu' in m);
    this.proc.send({ cmd: 'cpu' });
    const { cpu } = await p;
    return (cpu.user + cpu.system) / 1000;
  }
  async memory(): Promise<{ memory: MemoryFigures; clients: number }> {
    const p = this.next<{ memory: MemoryFigures; clients: number }>((m) => 'memory' in m);
    this.proc.send({ cmd: 'memory' });
    return p;
  }
}

/** A dashboard connection: a raw WebSocket with the admin's cookie, subscribed to admin.events.onUserEvent. */
interface Sub {
  ws: WebSocket;
}
const DATA_ID = /"result":\{"type":"data","data":\{"id":"(\d+)"/;

function openSub(url: string, origin: string, sessionId: string, onEvent: (id: number) => void): Promise<Sub> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/trpc', { headers: { origin, cookie: `${SESSION_COOKIE}=${sessionId}` }, perMessageDeflate: false });
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'subscription', params: { path: 'admin.events.onUserEvent', input: { lastEventId: null } } })));
    let started = false;
    ws.on('message', (raw) => {
      // A text frame arrives as one Buffer (the default binaryType, 'nodebuffer').
      const s = (raw as Buffer).toString();
      const m = DATA_ID.exec(s);
      if (m) onEvent(Number(m[1]));
      else if (s.includes('"type":"started"')) {
        started = true;
        resolve({ ws });
      } else if (!started) reject(new Error(s));
      else if (s !== 'PING') console.error(`subscription message: ${s.slice(0, 300)}`);
    });
    ws.on('close', (code) => {
      if (started && !closing.has(ws)) console.error(`subscription socket closed by the server (code ${code})`);
    });
  });
}

const closing = new WeakSet<WebSocket>();
function closeSub(s: Sub): Promise<void> {
  closing.add(s.ws);
  return new Promise((r) => {
    if (s.ws.readyState === WebSocket.CLOSED) return r();
    s.ws.once('close', () => r());
    s.ws.close();
  });
}

async function main() {
  const db = await choosePostgres();
  const name = `admit_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = withDatabase(db.url, name);
  let child: Child | undefined;
  let orm: MikroORM | undefined;
  const results: { figure: string; value: string; target: string; met: boolean | null }[] = [];
  try {
    child = new Child(
      fork(SELF, ['--server'], { execArgv: ['--expose-gc', '--import', 'tsx'], env: { ...process.env, BENCH_DATABASE_URL: url }, stdio: 'inherit' }),
    );
    const ready = await child.next<{ url: string; origin: string; echoPort: number; gc: boolean }>((m) => m.ready);
    if (!ready.gc) throw new Error('the server child has no global.gc (needs --expose-gc)');

    // Fixtures and sign-ups from this process, through the app's own appendEvent.
    const { ormConfig } = await import('../../server/db/mikro-orm.config.js');
    const { appendEvent } = await import('../../server/events/append.js');
    const { loadUserSnapshot } = await import('../../server/users/users.repository.js');
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- init() builds this very class; its declared return type is the base class
    orm = await MikroORM.init(ormConfig(url, { poolMax: 4 }));
    const em = () => orm!.em.fork();

    let seq = 0;
    const signUp = async (): Promise<{ eventId: number; committedAt: number }> => {
      const id = randomUUID();
      const eventId = await em().transactional(async (tx) => {
        await tx.execute(
          `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
           values (?, ?, 'Bench', 'Developer', (select id from organisation where is_default), 'developer', 'pending', null, false, now(), now(), 1)`,
          [id, `bench.dev.${process.pid}.${++seq}@example.test`],
        );
        const user = (await loadUserSnapshot(tx, id))!;
        return appendEvent(tx, 'user.registered', { user, autoApproved: false }, { actorId: null, userId: id });
      });
      return { eventId, committedAt: performance.now() };
    };

    // Admins with sessions (as after a login).
    await em().execute(
      `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
       select gen_random_uuid(), 'bench.admin.' || i || '@example.test', 'Admin', 'No' || i, (select id from organisation where is_default), 'admin', 'active', null, false, now(), now(), 1
         from generate_series(1, ?) as i`,
      [ADMINS],
    );
    const sessions: string[] = [];
    const adminIds = await em().execute<{ id: string }[]>(`select id from app_user where email like 'bench.admin.%' order by email`);
    for (const a of adminIds) {
      const sid = generateSessionToken();
      sessions.push(sid);
      await em().execute(
        `insert into user_session (id, user_id, created_at, last_seen_at, expires_at, absolute_expires_at) values (?, ?, now(), now(), now() + interval '1 day', now() + interval '1 day')`,
        [sessionIdOf(sid), a.id],
      );
    }

    console.log(`Admit live dashboard benchmark — ${db.kind}, Node ${process.version}, server in a child process`);
    // Other work on the machine shows up in every figure (the floor included): say how busy it was.
    console.log(`machine: ${cpus().length} CPUs, load average at start ${loadavg()[0]!.toFixed(2)}`);
    console.log('');

    // ---- Floor: raw pg NOTIFY (commit → LISTENer) and raw ws round trip (to the server process and back).
    const listenerClient = new pg.Client({ connectionString: url });
    const notifier = new pg.Client({ connectionString: url });
    await listenerClient.connect();
    await notifier.connect();
    await listenerClient.query('LISTEN bench_floor');
    let onNotify: (() => void) | null = null;
    listenerClient.on('notification', () => onNotify?.());
    const notifySamples: number[] = [];
    for (let i = 0; i < FLOOR_SAMPLES + 50; i++) {
      const got = new Promise<void>((r) => (onNotify = r));
      const t0 = performance.now();
      await notifier.query(`NOTIFY bench_floor, '${i}'`);
      await got;
      if (i >= 50) notifySamples.push(performance.now() - t0);
    }
    await listenerClient.end();
    await notifier.end();

    const echo = new WebSocket(`ws://127.0.0.1:${ready.echoPort}`, { perMessageDeflate: false });
    await new Promise((r, j) => echo.once('open', r).once('error', j));
    const wsSamples: number[] = [];
    const payload = JSON.stringify({ id: 1, result: { type: 'data', id: '1', data: { id: '1', data: { pad: 'x'.repeat(600) } } } });
    for (let i = 0; i < FLOOR_SAMPLES + 50; i++) {
      const got = new Promise<void>((r) => echo.once('message', () => r()));
      const t0 = performance.now();
      echo.send(payload);
      await got;
      if (i >= 50) wsSamples.push(performance.now() - t0);
    }
    echo.close();
    const notifyP50 = pct(sortNum(notifySamples), 50);
    const wsP50 = pct(sortNum(wsSamples), 50);
    const floor = notifyP50 + wsP50;
    console.log(
      `floor: pg NOTIFY commit→listener p50 ${ms(notifyP50)} (p99 ${ms(pct(sortNum(notifySamples), 99))}) + ws round trip p50 ${ms(wsP50)} (p99 ${ms(pct(sortNum(wsSamples), 99))}) = ${ms(floor)}`,
    );

    // ---- 1 admin
    {
      let waiting: { id: number; resolve: (t: number) => void } | null = null;
      const early = new Map<number, number>();
      const sub = await openSub(ready.url, ready.origin, sessions[0]!, (id) => {
        const t = performance.now();
        if (waiting && waiting.id === id) waiting.resolve(t);
        else early.set(id, t);
      });
      const lat: number[] = [];
      let cpu0 = 0;
      for (let i = 0; i < SAMPLES_ONE + 30; i++) {
        if (i === 30) {
          await child.profile(true, 'one');
          cpu0 = await child.cpuMs();
        }
        let resolveArrival!: (t: number) => void;
        const arrival = new Promise<number>((r) => (resolveArrival = r));
        const { eventId, committedAt } = await signUp();
        // The event may be read before COMMIT's reply is (NOTIFY and the reply race): then latency ≈ 0.
        if (early.has(eventId)) resolveArrival(early.get(eventId)!);
        else waiting = { id: eventId, resolve: resolveArrival };
        const t = await Promise.race([arrival, sleep(5000).then(() => NaN)]);
        if (Number.isNaN(t)) throw new Error(`event ${eventId} never arrived`);
        waiting = null;
        early.clear();
        if (i >= 30) lat.push(Math.max(0, t - committedAt));
        await sleep(2 + Math.random() * 8);
      }
      const cpuPerEvent = ((await child.cpuMs()) - cpu0) / SAMPLES_ONE;
      await child.profile(false, 'one');
      await closeSub(sub);
      const s = sortNum(lat);
      const p99 = pct(s, 99);
      const target = 3 * floor + 5;
      console.log(
        `1 admin:    p50 ${ms(pct(s, 50))}  p95 ${ms(pct(s, 95))}  p99 ${ms(p99)}  (${lat.length} sign-ups; server CPU ${ms(cpuPerEvent)} per sign-up)`,
      );
      results.push({ figure: 'p99, 1 admin', value: ms(p99), target: `≤ 3×floor+5 ms = ${ms(target)}`, met: p99 <= target });
    }

    // ---- 500 admins; memory per idle connection measured on the way in.
    {
      await sleep(300);
      const before = await child.memory();
      const pendingArrivals = new Map<number, { count: number; times: number[]; done: () => void }>();
      const early = new Map<number, number[]>();
      const onEvent = (id: number) => {
        const t = performance.now();
        const p = pendingArrivals.get(id);
        if (p) {
          p.times.push(t);
          if (p.times.length === ADMINS) p.done();
        } else {
          const list = early.get(id) ?? [];
          list.push(t);
          early.set(id, list);
        }
      };
      const subs: Sub[] = [];
      for (let i = 0; i < ADMINS; i += 50) {
        subs.push(...(await Promise.all(sessions.slice(i, i + 50).map((sid) => openSub(ready.url, ready.origin, sid, onEvent)))));
      }
      await sleep(500);
      const after = await child.memory();
      if (after.clients !== ADMINS) throw new Error(`expected ${ADMINS} connections on the server, found ${after.clients}`);
      const perConnHeap = (after.memory.heapUsed + after.memory.external - before.memory.heapUsed - before.memory.external) / ADMINS;
      const perConnRss = (after.memory.rss - before.memory.rss) / ADMINS;

      const last: number[] = [];
      const all: number[] = [];
      let cpu0 = 0;
      for (let i = 0; i < SAMPLES_MANY + 10; i++) {
        if (i === 10) {
          await child.profile(true, 'many');
          cpu0 = await child.cpuMs();
        }
        let done!: () => void;
        const complete = new Promise<void>((r) => (done = r));
        const { eventId, committedAt } = await signUp();
        const entry = { count: 0, times: early.get(eventId) ?? [], done };
        early.delete(eventId);
        pendingArrivals.set(eventId, entry);
        if (entry.times.length === ADMINS) done();
        const ok = await Promise.race([complete.then(() => true), sleep(10_000).then(() => false)]);
        if (!ok) throw new Error(`event ${eventId} reached ${entry.times.length} of ${ADMINS} admins`);
        pendingArrivals.delete(eventId);
        if (i >= 10) {
          const lats = entry.times.map((t) => Math.max(0, t - committedAt));
          last.push(Math.max(...lats));
          all.push(...lats);
        }
        await sleep(5 + Math.random() * 10);
      }
      const cpuPerEvent = ((await child.cpuMs()) - cpu0) / SAMPLES_MANY;
      await child.profile(false, 'many');
      const s = sortNum(last);
      const a = sortNum(all);
      const p95 = pct(s, 95);
      console.log(
        `${ADMINS} admins: last of ${ADMINS}: p50 ${ms(pct(s, 50))}  p95 ${ms(p95)}  p99 ${ms(pct(s, 99))}  | every delivery: p50 ${ms(pct(a, 50))}  p95 ${ms(pct(a, 95))}  p99 ${ms(pct(a, 99))}  (${last.length} sign-ups; server CPU ${ms(cpuPerEvent)} per sign-up)`,
      );
      results.push({ figure: `p95, last of ${ADMINS} admins`, value: ms(p95), target: '< 50 ms', met: p95 < 50 });
      console.log(
        `memory per idle admin connection (server, after GC): heap+external ${kb(perConnHeap)}, RSS ${kb(perConnRss)}  (${ADMINS} subscribed sockets)`,
      );
      results.push({
        figure: 'server memory per idle admin connection (heap+external)',
        value: kb(perConnHeap),
        target: '< 100 KB',
        met: perConnHeap < 100 * 1024,
      });
      await Promise.all(subs.map(closeSub));
    }

    // ---- 5,000 connect/disconnect cycles
    {
      const cycle = async (sid: string) => closeSub(await openSub(ready.url, ready.origin, sid, () => undefined));
      const run = async (n: number) => {
        let next = 0;
        await Promise.all(
          Array.from({ length: 20 }, async () => {
            while (next < n) {
              const i = next++;
              await cycle(sessions[i % sessions.length]!);
            }
          }),
        );
      };
      await run(500); // warm-up: code paths compiled, pools filled
      await sleep(500);
      const before = await child.memory();
      const t0 = performance.now();
      await run(CYCLES);
      const took = performance.now() - t0;
      await sleep(1000);
      const after = await child.memory();
      if (after.clients !== 0) throw new Error(`${after.clients} connections still open on the server`);
      const growth = (after.memory.heapUsed - before.memory.heapUsed) / before.memory.heapUsed;
      console.log(
        `heap after ${CYCLES.toLocaleString('en-US')} connect/subscribe/disconnect cycles (${Math.round(took)} ms): ${mb(before.memory.heapUsed)} → ${mb(after.memory.heapUsed)} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%)`,
      );
      results.push({
        figure: `heap after ${CYCLES} cycles vs before`,
        value: `${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%`,
        target: 'within 10%',
        met: Math.abs(growth) <= 0.1,
      });
    }

    console.log(`load average at end ${loadavg()[0]!.toFixed(2)}`);
    console.log('');
    console.log('targets:');
    for (const r of results) console.log(`  ${r.met ? 'MET   ' : 'MISSED'} ${r.figure}: ${r.value} (target ${r.target})`);
    if (results.some((r) => !r.met)) process.exitCode = 1;
  } finally {
    await orm?.close(true).catch(() => undefined);
    if (child) {
      const exited = new Promise((r) => child!.proc.once('exit', r));
      child.proc.send({ cmd: 'stop' });
      await Promise.race([exited, sleep(15_000)]);
      if (child.proc.exitCode === null) child.proc.kill();
    }
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
    await db.stop();
  }
}

if (process.argv.includes('--server')) {
  runServerChild().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
