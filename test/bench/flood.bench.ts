/**
 * `npm run bench:flood`: issue 10's flood, measured. One attacker socket (no session; it
 * reconnects whenever it is closed) sends ~10,000 `auth.me` frames a second for 3 s, while
 * signed-in users keep asking `auth.me` over HTTP. Prints the users' p50/p99 during the flood
 * beside the floor (the same requests with no flood) and the ratio, and the server's peak RSS
 * (the server runs in a child process of its own). Target: p99 during the flood < 250 ms.
 * Database: TEST_DATABASE_URL, else PostgreSQL on 127.0.0.1:5432, else an embedded one.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { choosePostgres, withDatabase } from '../support/pg-server.js';
import { startServerProcess, type ServerProcess } from '../security/support/server-process.js';
import { login, rawWs, type RawWs } from '../security/support/raw.js';
import { SESSION_COOKIE } from '../../shared/constants.js';

const USERS = Number(process.env.BENCH_USERS ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const FRAMES_PER_SECOND = Number(process.env.BENCH_FRAMES_PER_SECOND ?? 10_000);
const ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple' };

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** USERS signed-in users, each asking auth.me in a loop (50 ms apart) for `ms`; returns every latency. */
async function users(srv: ServerProcess, sessions: string[], ms: number): Promise<{ latencies: number[]; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  const end = Date.now() + ms;
  await Promise.all(
    sessions.map(async (sid) => {
      while (Date.now() < end) {
        const t0 = performance.now();
        try {
          const r = await fetch(`${srv.url}/trpc/auth.me`, { headers: { cookie: `${SESSION_COOKIE}=${sid}` }, signal: AbortSignal.timeout(30_000) });
          await r.arrayBuffer();
          if (r.status !== 200) failures++;
        } catch {
          failures++;
        }
        latencies.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), failures };
}

/** The attacker: floods, and reconnects whenever the server closes the socket. */
async function flood(srv: ServerProcess, ms: number) {
  const stats = { sent: 0, refusals: 0, answered: 0, closes1008: 0, refusedUpgrades: 0, connections: 0 };
  const end = Date.now() + ms;
  let id = 0;
  let ws: RawWs | null = null;
  const perTick = Math.max(1, Math.round(FRAMES_PER_SECOND / 100));
  const count = (w: RawWs) => {
    for (const m of w.messages() as any[]) {
      if (m?.error?.data?.code === 'TOO_MANY_REQUESTS') stats.refusals++;
      else if (m?.result) stats.answered++;
    }
    if (w.closeCode === 1008) stats.closes1008++;
  };
  while (Date.now() < end) {
    if (!ws || ws.closed) {
      if (ws) count(ws);
      ws = await rawWs(srv.port, { origin: srv.origin });
      if (ws.status !== 101) {
        stats.refusedUpgrades++;
        ws.close();
        ws = null;
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      stats.connections++;
    }
    const tick = Date.now();
    for (let i = 0; i < perTick; i++) ws.text(JSON.stringify({ id: ++id, method: 'query', params: { path: 'auth.me' } }));
    stats.sent += perTick;
    await new Promise((r) => setTimeout(r, Math.max(0, 10 - (Date.now() - tick))));
  }
  if (ws) {
    await new Promise((r) => setTimeout(r, 300));
    count(ws);
    ws.close();
  }
  return stats;
}

async function main() {
  const server = await choosePostgres();
  const name = `admit_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  let srv: ServerProcess | undefined;
  try {
    srv = await startServerProcess(withDatabase(server.url, name), { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'silent' });
    const sessions: string[] = [];
    for (let i = 0; i < USERS; i++) sessions.push(await login(srv.url, srv.origin, ADMIN.email, ADMIN.password));
    await users(srv, sessions, 1_000); // warm-up
    const idle = await srv.memory();

    const floor = await users(srv, sessions, SECONDS * 1000);
    await srv.resetPeak();
    const [during, attack] = await Promise.all([users(srv, sessions, SECONDS * 1000), flood(srv, SECONDS * 1000)]);
    const mem = await srv.memory();

    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
    const f50 = percentile(floor.latencies, 50);
    const f99 = percentile(floor.latencies, 99);
    const d50 = percentile(during.latencies, 50);
    const d99 = percentile(during.latencies, 99);
    console.log(
      `\nbench:flood: ${USERS} signed-in users asking auth.me over HTTP; one attacker socket at ~${FRAMES_PER_SECOND} frames/s for ${SECONDS} s (reconnecting when closed)`,
    );
    console.log(`PostgreSQL: ${server.kind}; server in its own process\n`);
    console.table([
      { figure: 'users p50 (ms)', floor: f50.toFixed(1), 'during flood': d50.toFixed(1), ratio: (d50 / f50).toFixed(2) },
      { figure: 'users p99 (ms)', floor: f99.toFixed(1), 'during flood': d99.toFixed(1), ratio: (d99 / f99).toFixed(2), target: '< 250 ms', met: d99 < 250 },
      {
        figure: 'user requests (failed)',
        floor: `${floor.latencies.length} (${floor.failures})`,
        'during flood': `${during.latencies.length} (${during.failures})`,
      },
      { figure: 'server RSS', floor: mb(idle.rss), 'during flood': `peak ${mb(mem.peakRss)}` },
    ]);
    console.log(
      `attacker: ${attack.sent} frames sent over ${attack.connections} connections; ${attack.answered} answered, ${attack.refusals} refused (TOO_MANY_REQUESTS), ${attack.closes1008} closed with 1008, ${attack.refusedUpgrades} reconnects refused`,
    );
  } finally {
    await srv?.stop();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    await server.stop();
  }
}

await main();
