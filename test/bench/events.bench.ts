/**
 * `npm run bench:events` (issue 14, point 2): what the global event-append lock costs, measured
 * before deciding whether to replace it, and a bulk decision of 1,000 users delivered live.
 *
 * 1. Append lock: transactions shaped like a sign-up's tail (insert a user, insert its event,
 *    pg_notify) over raw node-postgres at concurrency 1 and 8, with the transaction-level advisory
 *    lock appendEvent takes (LOCKS.eventAppend) and without it (the floor: what the same
 *    transactions cost if nothing ordered them). Prints transactions/s and the ratio.
 * 2. Bulk decision: 1,000 pending users activated through admin.users.bulk.decide (calls of
 *    BULK_DECIDE_MAX, so one call), alone and while 8 writers append events at full speed, with an
 *    admin subscribed over a real WebSocket: the time, and whether every user.activated arrived
 *    exactly once (target: under 3 s, every event once). Beside it, in the same run:
 *    - the floor: the same set-based writes as raw SQL over node-postgres in one transaction (lock
 *      the rows in id order, one update, one outbox insert, the append lock, one event insert,
 *      NOTIFY), for as many fresh users, and the ratio floor / bulk decision;
 *    - the previous path for reference: each user in its own transaction through the single
 *      action (activateUser), BENCH_BULK_PER_USER users (200), printed per user.
 *
 * Knobs: BENCH_EVENTS_SECONDS (5 per lock case), BENCH_BULK_USERS (1000), BENCH_BULK_CHUNK (users
 * per call, BULK_DECIDE_MAX), BENCH_BULK_PER_USER (200; 0 skips).
 */
import pg from 'pg';
import { randomBytes, randomUUID } from 'node:crypto';
import { choosePostgres, withDatabase } from '../support/pg-server.js';
import { machineLine, sleep } from './bench-support.js';
import { LOCKS } from '../../server/db/locks.js';
import { BULK_DECIDE_MAX } from '../../shared/schemas/bulk.js';

const SECONDS = Number(process.env.BENCH_EVENTS_SECONDS ?? 5);
const BULK = Number(process.env.BENCH_BULK_USERS ?? 1000);
const CHUNK = Math.min(BULK_DECIDE_MAX, Number(process.env.BENCH_BULK_CHUNK ?? BULK_DECIDE_MAX));
const PER_USER = Number(process.env.BENCH_BULK_PER_USER ?? 200);

/** Inserts n pending users in one statement; returns their ids and versions. */
async function seedPending(c: pg.Client, n: number, tag: string): Promise<{ id: string; version: number }[]> {
  const { rows } = await c.query<{ id: string; version: number }>(
    `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
     select gen_random_uuid(), 'bulk.${tag}.' || g || '@bench.test', 'Bulk', 'User ' || g, (select id from organisation where is_default), 'developer', 'pending', null, false, now(), now(), 1
       from generate_series(1, ${n}) g returning id, version`,
  );
  return rows;
}

/**
 * The floor of a bulk activation: the statements the set-based decision needs, as raw SQL in one
 * transaction (no ORM, no JSON of user snapshots built in JavaScript, no per-user results).
 */
async function rawBulkActivation(c: pg.Client, ids: string[], actorId: string): Promise<void> {
  await c.query('begin');
  await c.query(`select u.id from app_user u join organisation o on o.id = u.organisation_id where u.id = any($1::uuid[]) order by u.id for update of u`, [
    ids,
  ]);
  await c.query(`update app_user set status = 'active', version = version + 1, updated_at = now() where id = any($1::uuid[])`, [ids]);
  await c.query(
    `insert into email_outbox (template, to_address, variables, status, attempts, max_attempts, next_attempt_at, user_id, created_at, updated_at)
     select 'account-activated', u.email, jsonb_build_object('firstName', u.first_name, 'loginUrl', 'http://localhost/login'), 'pending', 0, 8, now(), u.id, now(), now()
       from app_user u where u.id = any($1::uuid[]) order by u.id`,
    [ids],
  );
  await c.query('select pg_advisory_xact_lock($1)', [LOCKS.eventAppend]);
  const r = await c.query<{ id: string }>(
    `insert into domain_event (type, actor_id, user_id, data, created_at)
     select 'user.activated', $2, u.id, jsonb_build_object('user', jsonb_build_object('id', u.id, 'email', u.email, 'status', u.status, 'version', u.version), 'previousStatus', 'pending'), clock_timestamp()
       from app_user u where u.id = any($1::uuid[]) order by u.id returning id`,
    [ids, actorId],
  );
  await c.query(`select pg_notify('admit_events', $1)`, [r.rows.at(-1)!.id]);
  await c.query('commit');
}

async function appendLoop(url: string, concurrency: number, withLock: boolean, seconds: number, tag: string): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, k) => {
      let i = 0;
      while (performance.now() < end) {
        const id = randomUUID();
        await c.query('begin');
        await c.query(
          `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
           values ($1, $2, 'Lock', 'Bench', (select id from organisation where is_default), 'developer', 'pending', null, false, now(), now(), 1)`,
          [id, `lock.${tag}.${k}.${++i}@bench.test`],
        );
        if (withLock) await c.query('select pg_advisory_xact_lock($1)', [LOCKS.eventAppend]);
        const r = await c.query<{ id: string }>(
          `insert into domain_event (type, actor_id, user_id, data, created_at) values ('user.registered', null, $1, '{}'::jsonb, clock_timestamp()) returning id`,
          [id],
        );
        await c.query(`select pg_notify('admit_events', $1)`, [r.rows[0]!.id]);
        await c.query('commit');
        n++;
      }
    }),
  );
  const took = (performance.now() - t0) / 1000;
  await Promise.all(clients.map((c) => c.end()));
  return n / took;
}

async function main(): Promise<boolean> {
  const db = await choosePostgres();
  const name = `admit_bench_events_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = withDatabase(db.url, name);
  const { parseConfig } = await import('../../server/config.js');
  const { startApp } = await import('../../server/app.js');
  const { createLogger } = await import('../../server/logger.js');
  const { createCallerFactory } = await import('../../server/trpc/init.js');
  const { appRouter } = await import('../../server/trpc/router.js');
  const { hashPassword } = await import('../../server/security/password.js');
  const { wsClient } = await import('../support/http.js');
  const config = parseConfig({ PORT: '0', LOG_LEVEL: 'warn', MAIL_WORKER: 'false' });
  const app = await startApp({ config, databaseUrl: url, log: createLogger('warn') });
  const checks: { figure: string; value: string; target: string; met: boolean }[] = [];
  try {
    console.log(`Admit event appends — ${db.kind}, Node ${process.version}`);
    console.log(machineLine('at start'));
    console.log('');
    console.log('1. the append lock (sign-up-shaped transactions, raw node-postgres):');
    for (const c of [1, 8]) {
      const locked = await appendLoop(url, c, true, SECONDS, `l${c}`);
      const free = await appendLoop(url, c, false, SECONDS, `f${c}`);
      console.log(`   concurrency ${c}: with the lock ${locked.toFixed(0)} tx/s, without (floor) ${free.toFixed(0)} tx/s, ratio ${(locked / free).toFixed(2)}`);
    }

    console.log('');
    const calls = Math.ceil(BULK / CHUNK);
    console.log(
      `2. bulk decision of ${BULK.toLocaleString('en-US')} pending users (admin.users.bulk.decide, ${CHUNK} a call: ${calls} call${calls === 1 ? '' : 's'}), one admin watching live:`,
    );
    const adminId = randomUUID();
    await admin.end();
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    await raw.query(
      `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, created_at, updated_at, version)
       values ($1, 'bench.admin@bench.test', 'Bench', 'Admin', (select id from organisation where is_default), 'admin', 'active', $2, now(), now(), 1)`,
      [adminId, await hashPassword('bench admin password')],
    );
    const session = await app.services.sessions.create(adminId, { ip: '127.0.0.1', userAgent: 'bench' });
    const caller = createCallerFactory(appRouter)({
      app: app.services,
      transport: 'http',
      ip: '127.0.0.1',
      userAgent: 'bench',
      sessionToken: session.token,
      setCookie: () => undefined,
    });
    const origin = app.services.allowedOrigins()[0]!;
    for (const contention of [false, true]) {
      const tag = contention ? 'busy' : 'calm';
      const label = contention ? 'with 8 writers appending' : 'alone';
      const users = await seedPending(raw, BULK, tag);
      const floorUsers = await seedPending(raw, BULK, `${tag}.floor`);
      const wanted = new Set(users.map((u) => u.id));
      const seen = new Map<string, number>();
      const ws = wsClient(app.url, { sessionId: session.token, origin });
      let started!: () => void;
      const startedP = new Promise<void>((r) => (started = r));
      const sub = ws.trpc.admin.events.onUserEvent.subscribe(
        { lastEventId: null },
        {
          onStarted: () => started(),
          onData: (t) => {
            const e = t.data;
            if (e.type === 'user.activated' && e.userId && wanted.has(e.userId)) seen.set(e.userId, (seen.get(e.userId) ?? 0) + 1);
          },
        },
      );
      await startedP;
      const writing = { on: true };
      const writers = contention
        ? (async () => {
            while (writing.on) await appendLoop(url, 8, true, 0.5, `w${Math.random().toString(36).slice(2, 8)}`);
          })()
        : Promise.resolve();
      if (contention) await sleep(300);
      const t0 = performance.now();
      for (let i = 0; i < users.length; i += CHUNK) {
        const r = await caller.admin.users.bulk.decide({
          decision: 'activate',
          users: users.slice(i, i + CHUNK).map((u) => ({ userId: u.id, expectedVersion: u.version })),
        });
        if (r.failed) throw new Error(`${r.failed} decisions failed`);
      }
      const decidedMs = performance.now() - t0;
      const deadline = Date.now() + 20_000;
      while (seen.size < wanted.size && Date.now() < deadline) await sleep(5);
      const deliveredMs = performance.now() - t0;
      // The floor, under the same conditions (the writers still running in the busy case).
      const f0 = performance.now();
      for (let i = 0; i < floorUsers.length; i += CHUNK)
        await rawBulkActivation(
          raw,
          floorUsers.slice(i, i + CHUNK).map((u) => u.id),
          adminId,
        );
      const floorMs = performance.now() - f0;
      writing.on = false;
      await writers;
      sub.unsubscribe();
      await ws.close();
      const once = [...wanted].every((id) => seen.get(id) === 1);
      console.log(
        `   ${label}: decided in ${(decidedMs / 1000).toFixed(2)} s, every event delivered after ${(deliveredMs / 1000).toFixed(2)} s; ${seen.size}/${wanted.size} users, each once: ${once}`,
      );
      console.log(
        `   ${' '.repeat(label.length)}  floor (the same writes as raw SQL, one transaction per ${CHUNK}): ${(floorMs / 1000).toFixed(2)} s; ratio floor/decision ${(floorMs / decidedMs).toFixed(2)}`,
      );
      checks.push({ figure: `bulk decision of ${BULK}, ${label}`, value: `${(deliveredMs / 1000).toFixed(2)} s`, target: '< 3 s', met: deliveredMs < 3000 });
      checks.push({ figure: `every event delivered once, ${label}`, value: String(once), target: 'true', met: once });
    }
    if (PER_USER > 0) {
      // The previous bulk path, for reference: one transaction per user through the single action.
      const { activateUser } = await import('../../server/users/users.service.js');
      const actor = {
        id: adminId,
        email: 'bench.admin@bench.test',
        firstName: 'Bench',
        lastName: 'Admin',
        role: 'admin' as const,
        status: 'active' as const,
        mustChangePassword: false,
      };
      const users = await seedPending(raw, PER_USER, 'single');
      const t0 = performance.now();
      for (const u of users) await activateUser(app.services, actor, u.id, u.version);
      const ms = performance.now() - t0;
      console.log(
        `   for reference, the previous path (a transaction per user through the single action), ${PER_USER} users alone: ${(ms / 1000).toFixed(2)} s, ${(ms / PER_USER).toFixed(2)} ms per user (${(((ms / PER_USER) * BULK) / 1000).toFixed(1)} s for ${BULK})`,
      );
    }
    await raw.end();
    console.log('');
    console.log(machineLine('at end'));
    console.log('targets:');
    for (const c of checks) console.log(`  ${c.met ? 'MET   ' : 'MISSED'} ${c.figure}: ${c.value} (target ${c.target})`);
  } finally {
    await app.close();
    const drop = new pg.Client({ connectionString: db.url });
    await drop.connect();
    await drop.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await drop.end();
    await db.stop();
  }
  return checks.every((c) => c.met);
}

main()
  .then((ok) => {
    if (!ok) process.exitCode = 1;
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
