/**
 * `npm run bench:live:counts` (also the last case of `npm run bench:live`): what the per-status
 * counts cost at 1,000,000 users with 200 admin tabs open while 50 developers sign up a second,
 * for 30 s (issue 14, point 3). The real server (startApp) runs in a child process that counts the
 * statements it sends to PostgreSQL; the tabs (raw `ws` sockets speaking tRPC's subscription
 * protocol) and the sign-ups run here.
 *
 * Prints the PostgreSQL CPU seconds of the bench database's backends during the run, the server's
 * CPU seconds, how many statements read the counts per second (they ride in the listener's batch
 * statement: at most one per batch, whatever the number of tabs) and how many standalone count
 * queries ran (target 0). Beside it, the floor: what one `count(*) … group by status` costs at
 * this size, and what the old design (each tab re-counting at most once a second after user events)
 * would have asked of PostgreSQL in the same run. Every tab's last counts are checked against the table.
 *
 * Knobs: BENCH_COUNTS_USERS (1000000), BENCH_COUNTS_TABS (200), BENCH_COUNTS_RATE (50 sign-ups/s),
 * BENCH_COUNTS_SECONDS (30).
 */
import pg from 'pg';
import WebSocket from 'ws';
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MikroORM } from '@mikro-orm/postgresql';
import { choosePostgres, withDatabase } from '../support/pg-server.js';
import { SESSION_COOKIE } from '../../shared/constants.js';
import { generateSessionToken, sessionIdOf } from '../../server/sessions/session-store.js';
import { machineLine, postgresCpu, sleep } from './bench-support.js';

const SELF = fileURLToPath(import.meta.url);
const USERS = Number(process.env.BENCH_COUNTS_USERS ?? 1_000_000);
const TABS = Number(process.env.BENCH_COUNTS_TABS ?? 200);
const RATE = Number(process.env.BENCH_COUNTS_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_COUNTS_SECONDS ?? 30);

/** Child: the real server; counts every statement it sends (pool and LISTEN connection both use pg.Client). */
async function runServerChild() {
  const counted = { statements: 0, countReads: 0, standaloneCounts: 0 };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- wrapped and called with its own `this`
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0];
    const text = typeof q === 'string' ? q : ((q as { text?: string } | null)?.text ?? '');
    counted.statements++;
    if (text.includes('user_status_count')) counted.countReads++;
    if (/group by status|count\(\*\)[\s\S]*from app_user/i.test(text)) counted.standaloneCounts++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  const { parseConfig } = await import('../../server/config.js');
  const { startApp } = await import('../../server/app.js');
  const { createLogger } = await import('../../server/logger.js');
  const config = parseConfig({ PORT: '0', LOG_LEVEL: 'warn', MAIL_WORKER: 'false', WS_MAX_CONNECTIONS_PER_IP: '100000' });
  const app = await startApp({ config, databaseUrl: process.env.BENCH_DATABASE_URL!, log: createLogger('warn') });
  process.on('message', (msg: { cmd: string }) => {
    if (msg.cmd === 'stats') process.send!({ stats: { ...counted, cpu: process.cpuUsage() } });
    if (msg.cmd === 'stop') void app.close().then(() => process.exit(0));
  });
  process.send!({ ready: true, url: app.url, origin: app.services.allowedOrigins()[0] });
}

interface ChildStats {
  statements: number;
  countReads: number;
  standaloneCounts: number;
  cpu: NodeJS.CpuUsage;
}

const COUNTS = /"counts":(\{"byStatus":\{[^}]*\},"total":\d+,"at":\d+\})/;

export async function runLiveCounts(): Promise<boolean> {
  const db = await choosePostgres();
  const name = `admit_bench_counts_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = withDatabase(db.url, name);
  const child = fork(SELF, ['--server'], { execArgv: ['--import', 'tsx'], env: { ...process.env, BENCH_DATABASE_URL: url }, stdio: 'inherit' });
  const messages: ((m: any) => boolean)[] = [];
  child.on('message', (m) => {
    const i = messages.findIndex((w) => w(m));
    if (i >= 0) messages.splice(i, 1);
  });
  const next = <T>(pred: (m: any) => boolean) => new Promise<T>((res) => messages.push((m) => (pred(m) ? (res(m as T), true) : false)));
  const childStats = async () => {
    const p = next<{ stats: ChildStats }>((m) => 'stats' in m);
    child.send({ cmd: 'stats' });
    return (await p).stats;
  };
  let orm: MikroORM | undefined;
  const raw = new pg.Client({ connectionString: url });
  const sockets: WebSocket[] = [];
  let ok = true;
  try {
    const ready = await next<{ url: string; origin: string }>((m) => m.ready);
    await raw.connect();
    console.log(`Admit per-status counts at scale — ${db.kind}, Node ${process.version}`);
    console.log(machineLine('at start'));

    // ---- Seed: a million users in one statement with the count triggers off, then one reconcile
    // (what the job does) puts the kept counts right.
    let t = performance.now();
    await raw.query(`set maintenance_work_mem = '256MB'`);
    await raw.query('begin');
    await raw.query('set local session_replication_role = replica');
    await raw.query(
      `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
       select gen_random_uuid(), 'seed' || g || '@example.com', 'Seed', 'User' || g, (select id from organisation where is_default), 'developer',
              case when g % 100 = 7 then 'pending' when g % 20 = 3 then 'inactive' when g % 25 = 4 then 'rejected' when g % 20 = 11 then 'invited' else 'active' end,
              null, false, now() - make_interval(secs => g), now(), 1
         from generate_series(1, ${USERS}) g`,
    );
    await raw.query('commit');
    await raw.query('vacuum analyze app_user');
    const { ormConfig } = await import('../../server/db/mikro-orm.config.js');
    const { reconcileUserCounts } = await import('../../server/events/user-counts.js');
    const { appendEvent } = await import('../../server/events/append.js');
    const { loadUserSnapshot } = await import('../../server/users/users.repository.js');
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- init() builds this very class
    orm = await MikroORM.init(ormConfig(url, { poolMax: 8 }));
    const em = () => orm!.em.fork();
    await reconcileUserCounts(em());
    console.log(`seeded ${USERS.toLocaleString('en-US')} users in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // ---- The floor: one count of the table as the old stats query did it.
    // PostgreSQL's own execution time (EXPLAIN ANALYZE), median: the round trip is not PostgreSQL's CPU.
    const execMs = async (sql: string, n: number) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const r = await raw.query<{ 'QUERY PLAN': { 'Execution Time': number }[] }>(`explain (analyze, format json) ${sql}`);
        times.push(r.rows[0]!['QUERY PLAN'][0]!['Execution Time']);
      }
      return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
    };
    const countMs = await execMs(`select status, count(*) as n from app_user group by status`, 5);
    const { USER_COUNTS_JSON_SQL } = await import('../../server/events/user-counts.js');
    const keptMs = await execMs(`select ${USER_COUNTS_JSON_SQL} as c`, 51);
    console.log(
      `one count(*) … group by status over ${USERS.toLocaleString('en-US')} users: ${countMs.toFixed(1)} ms; the kept counts' sub-select: ${keptMs.toFixed(3)} ms (PostgreSQL execution time, median)`,
    );

    // ---- 200 tabs: admins with sessions, each subscribed.
    const adminIds: string[] = [];
    for (let i = 0; i < TABS; i++) {
      const id = randomUUID();
      adminIds.push(id);
      await raw.query(
        `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
         values ($1, $2, 'Admin', 'Tab', (select id from organisation where is_default), 'admin', 'active', null, false, now(), now(), 1)`,
        [id, `bench.tab.${i}@example.test`],
      );
    }
    const lastCounts: (string | null)[] = Array.from({ length: TABS }, () => null);
    let deliveries = 0;
    for (let i = 0; i < TABS; i++) {
      const sid = generateSessionToken();
      await raw.query(
        `insert into user_session (id, user_id, created_at, last_seen_at, expires_at, absolute_expires_at) values ($1, $2, now(), now(), now() + interval '1 day', now() + interval '1 day')`,
        [sessionIdOf(sid), adminIds[i]],
      );
      const ws = new WebSocket(ready.url.replace(/^http/, 'ws') + '/trpc', {
        headers: { origin: ready.origin, cookie: `${SESSION_COOKIE}=${sid}` },
        perMessageDeflate: false,
      });
      sockets.push(ws);
      await new Promise<void>((resolve, reject) => {
        ws.once('error', reject);
        ws.once('open', () =>
          ws.send(JSON.stringify({ id: 1, method: 'subscription', params: { path: 'admin.events.onUserEvent', input: { lastEventId: null } } })),
        );
        ws.on('message', (m) => {
          const s = (m as Buffer).toString();
          if (s.includes('"type":"started"')) return resolve();
          if (!s.includes('"type":"data"')) return;
          deliveries++;
          const c = COUNTS.exec(s);
          if (c) lastCounts[i] = c[1]!;
        });
      });
    }
    console.log(`${TABS} admin tabs subscribed`);

    // ---- 50 sign-ups a second for 30 s (what the sign-up service commits: a pending user and its event).
    let seq = 0;
    const signUp = async () => {
      const id = randomUUID();
      await em().transactional(async (tx) => {
        await tx.execute(
          `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
           values (?, ?, 'Bench', 'Developer', (select id from organisation where is_default), 'developer', 'pending', null, false, now(), now(), 1)`,
          [id, `bench.dev.${++seq}@example.test`],
        );
        const user = (await loadUserSnapshot(tx, id))!;
        await appendEvent(tx, 'user.registered', { user, autoApproved: false }, { actorId: null, userId: id });
      });
    };
    await sleep(500);
    const pgCpu = await postgresCpu(admin, name);
    const before = await childStats();
    t = performance.now();
    const total = RATE * SECONDS;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = t + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(signUp());
    }
    await Promise.all(inFlight);
    const took = (performance.now() - t) / 1000;
    // Let the last batch reach every tab.
    const truth = await raw.query<{ status: string; n: string }>(`select status, count(*) as n from app_user group by status`);
    const want: Record<string, number> = {};
    for (const r of truth.rows) want[r.status] = Number(r.n);
    const deadline = Date.now() + 10_000;
    const matches = (c: string | null) => {
      if (!c) return false;
      const parsed = JSON.parse(c) as { byStatus: Record<string, number> };
      return Object.entries(parsed.byStatus).every(([k, v]) => v === (want[k] ?? 0));
    };
    while (!lastCounts.every(matches) && Date.now() < deadline) await sleep(50);
    const after = await childStats();
    const pgMs = await pgCpu();
    const exact = lastCounts.filter(matches).length;
    const serverCpuS = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
    const countReadsPerS = (after.countReads - before.countReads) / took;
    const standalone = after.standaloneCounts - before.standaloneCounts;
    const userEventsPerS = total / took;
    // The old design: every tab re-ran the count at most once a second while user events arrived.
    const oldCountsPerS = TABS * Math.min(1, userEventsPerS);
    console.log('');
    console.log(`${total} sign-ups in ${took.toFixed(1)} s (${userEventsPerS.toFixed(1)}/s), ${TABS} tabs, ${deliveries.toLocaleString('en-US')} deliveries`);
    console.log(
      `PostgreSQL CPU (backends of the bench database): ${pgMs === null ? 'n/a (server not on this machine)' : `${(pgMs / 1000).toFixed(2)} s, ${(pgMs / total).toFixed(2)} ms per sign-up`}`,
    );
    console.log(`server CPU: ${serverCpuS.toFixed(2)} s, ${((serverCpuS * 1000) / total).toFixed(2)} ms per sign-up`);
    console.log(
      `count statements: ${countReadsPerS.toFixed(1)}/s (in the listener's batch statement, ~${keptMs.toFixed(3)} ms each); standalone count queries: ${standalone}`,
    );
    console.log(
      `floor (old design, same run): ${oldCountsPerS.toFixed(0)} counts/s × ${countMs.toFixed(1)} ms = ${((oldCountsPerS * countMs) / 1000).toFixed(1)} PostgreSQL CPU s per s (the machine has 2)`,
    );
    const countCpuPerS = (countReadsPerS * keptMs) / 1000;
    console.log(
      `ratio: counts now cost ${(countCpuPerS * 1000).toFixed(2)} ms of PostgreSQL per s, ${((countCpuPerS / ((oldCountsPerS * countMs) / 1000)) * 100).toFixed(3)}% of the old design`,
    );
    console.log(`tabs whose last counts equal the table: ${exact} of ${TABS}`);
    console.log(machineLine('at end'));
    console.log('targets:');
    const checks = [
      { figure: 'standalone count queries during the run', met: standalone === 0, value: String(standalone), target: '0 (no query per tab per event)' },
      {
        figure: 'count statements per second',
        met: countReadsPerS <= userEventsPerS + 1,
        value: countReadsPerS.toFixed(1),
        target: `≤ events/s (${userEventsPerS.toFixed(1)}), not × tabs`,
      },
      { figure: 'tabs with exact counts', met: exact === TABS, value: `${exact}/${TABS}`, target: 'all' },
    ];
    for (const c of checks) console.log(`  ${c.met ? 'MET   ' : 'MISSED'} ${c.figure}: ${c.value} (target ${c.target})`);
    ok = checks.every((c) => c.met);
  } finally {
    for (const ws of sockets) ws.terminate();
    await orm?.close(true).catch(() => undefined);
    await raw.end().catch(() => undefined);
    const exited = new Promise((r) => child.once('exit', r));
    child.send({ cmd: 'stop' });
    await Promise.race([exited, sleep(15_000)]);
    if (child.exitCode === null) child.kill();
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
    await db.stop();
  }
  return ok;
}

if (process.argv.includes('--server')) {
  runServerChild().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else if (process.argv[1] === SELF) {
  runLiveCounts()
    .then((ok) => {
      if (!ok) process.exitCode = 1;
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
