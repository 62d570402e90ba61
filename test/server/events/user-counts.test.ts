import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, type TestApp } from '../../support/app.js';
import { adminSession, uniqueEmail } from '../../support/users.js';
import { setRequireEmailVerification } from '../../support/verify.js';
import { subscribeLive, type LiveSubscription } from './live-support.js';
import { liveEventsOf } from '../../../server/events/live.js';
import { readUserCounts } from '../../../server/events/user-counts.js';
import { USER_STATUSES } from '../../../shared/constants.js';
import type { DomainEventDto, UserCountsDto } from '../../../shared/events.js';

/** The counts as `select status, count(*) … group by status` gives them (the truth the kept counts must equal). */
async function trueCounts(app: TestApp): Promise<{ byStatus: Record<string, number>; total: number }> {
  const rows = await sql<{ status: string; n: number }>(app, `select status, count(*)::int as n from app_user group by status`);
  const byStatus = Object.fromEntries(USER_STATUSES.map((s) => [s, 0])) as Record<string, number>;
  for (const r of rows) byStatus[r.status] = r.n;
  return { byStatus, total: rows.reduce((a, r) => a + r.n, 0) };
}

async function latestId(app: TestApp): Promise<number> {
  return Number((await sql<{ m: string | null }>(app, `select max(id) as m from domain_event`))[0]?.m ?? 0);
}

/** Waits until the process has published every event committed so far. */
async function caughtUp(app: TestApp): Promise<void> {
  const want = await latestId(app);
  const deadline = Date.now() + 10_000;
  while (liveEventsOf(app.services).bus.lastPublishedId < want) {
    if (Date.now() > deadline) throw new Error(`listener stuck at ${liveEventsOf(app.services).bus.lastPublishedId}, want ${want}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lastCounts = (events: DomainEventDto[]): UserCountsDto | undefined => [...events].reverse().find((e) => e.counts)?.counts;

function signup(app: TestApp, i: number, email = uniqueEmail(`count${i}`)) {
  return app
    .caller({ ip: `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}` })
    .auth.signup({ firstName: 'Count', lastName: `N${i}`, email, password: 'correct horse battery', confirmPassword: 'correct horse battery' });
}

describe('per-status user counts (kept by PostgreSQL, delivered with the events)', () => {
  let one: TestApp;
  let two: TestApp;
  const subs: LiveSubscription[] = [];
  beforeAll(async () => {
    one = await startTestApp();
    two = await startTestApp({ db: one.db });
    await setRequireEmailVerification(one, false); // decisions need pending users
  });
  afterEach(() => {
    for (const s of subs.splice(0)) s.close();
  });
  afterAll(async () => {
    await (two as TestApp | undefined)?.stop().catch(() => undefined);
    await (one as TestApp | undefined)?.stop();
  });

  it('stay exact under concurrent sign-ups and decisions on two processes, on every tab and in every stats read', async () => {
    const adminOne = await adminSession(one);
    const adminTwo = await adminSession(two);
    const tabOne = subscribeLive(one.url, { sessionId: adminOne.sessionId, origin: one.origin });
    const tabTwo = subscribeLive(two.url, { sessionId: adminTwo.sessionId, origin: two.origin });
    subs.push(tabOne, tabTwo);
    await Promise.all([tabOne.started, tabTwo.started]);

    // 24 sign-ups at once, half through each process.
    await Promise.all(Array.from({ length: 24 }, (_, i) => signup(i % 2 ? two : one, i)));
    const pending = await sql<{ id: string; version: number }>(one, `select id, version from app_user where status = 'pending' order by created_at`);
    expect(pending.length).toBe(24);
    // Decisions at once from both processes: activations, rejections, deletions, and a duplicate decision that must lose.
    const a = adminOne.caller.admin.users;
    const b = adminTwo.caller.admin.users;
    const outcomes = await Promise.allSettled([
      ...pending.slice(0, 8).map((u, i) => (i % 2 ? a : b).activate({ userId: u.id, expectedVersion: u.version })),
      ...pending.slice(8, 14).map((u, i) => (i % 2 ? b : a).reject({ userId: u.id, expectedVersion: u.version })),
      ...pending.slice(14, 17).map((u) => b.delete({ userId: u.id, expectedVersion: u.version })),
      a.activate({ userId: pending[0]!.id, expectedVersion: pending[0]!.version }),
      ...Array.from({ length: 6 }, (_, i) => signup(i % 2 ? one : two, 100 + i)),
    ]);
    expect(outcomes.filter((o) => o.status === 'rejected').length).toBe(1);

    await Promise.all([caughtUp(one), caughtUp(two)]);
    const truth = await trueCounts(one);
    expect(truth.byStatus).toMatchObject({ pending: 24 + 6 - 17, active: 8 + 2, rejected: 6 });
    for (const [app, admin, tab] of [
      [one, adminOne, tabOne],
      [two, adminTwo, tabTwo],
    ] as const) {
      const stats = await admin.caller.admin.users.stats();
      expect({ byStatus: stats.byStatus, total: stats.total }).toEqual(truth);
      // As of an event at or after the last decision (later ones are the mail worker's email.* events).
      const lastUserEvent = Number((await sql<{ m: string }>(app, `select max(id) as m from domain_event where type like 'user.%'`))[0]!.m);
      expect(stats.at).toBeGreaterThanOrEqual(lastUserEvent);
      // The tab got them with the events: the newest counts it holds are the truth.
      await tab.waitFor((events) => lastCounts(events)?.total === truth.total && lastCounts(events)?.byStatus.active === truth.byStatus.active);
      expect({ byStatus: lastCounts(tab.events)!.byStatus, total: lastCounts(tab.events)!.total }).toEqual(truth);
    }
  });

  it('no count of app_user, ever: the counts ride in the listener batch statement, and a stats read sums the kept rows', async () => {
    const admin = await adminSession(one);
    await two.stop(); // one process here, so every statement seen is its own
    const tabs = Array.from({ length: 12 }, () => subscribeLive(one.url, { sessionId: admin.sessionId, origin: one.origin }));
    subs.push(...tabs);
    await Promise.all(tabs.map((t) => t.started));
    await caughtUp(one);

    // Every statement this process sends to PostgreSQL (the ORM's pool and the LISTEN connection both use pg.Client).
    const seen: string[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, and called with its `this` below
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const q = args[0];
      seen.push(typeof q === 'string' ? q : ((q as { text?: string } | null)?.text ?? ''));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    let reads = 0;
    const firstEvent = await latestId(one);
    let quietReads: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        await signup(one, 200 + i);
        await Promise.all(tabs.map((t) => t.waitFor((e) => e.filter((x) => x.type === 'user.registered').length > i)));
        // What a dashboard did before: every tab re-reads the counts after the event.
        await Promise.all(tabs.map(() => admin.caller.admin.users.stats().then(() => reads++)));
      }
      // Reads alone, with no event meanwhile: not one statement touches the counts.
      await caughtUp(one);
      const mark = seen.length;
      await Promise.all(tabs.map(() => admin.caller.admin.users.stats()));
      // (The listener's own batch statements may run meanwhile for the mail worker's email.* events.)
      quietReads = seen.slice(mark).filter((s) => s.includes('user_status_count') && !s.includes('json_agg'));
    } finally {
      pg.Client.prototype.query = original;
    }
    expect(reads).toBe(120);
    for (const t of tabs) expect(t.events.filter((e) => e.type === 'user.registered' && e.counts).length).toBe(10);
    // The old way: `select status, count(*) from app_user group by status`, once per read.
    expect(seen.filter((s) => /group by status/i.test(s) || /count\(\*\)[\s\S]*from app_user/i.test(s))).toEqual([]);
    // Per batch of events (here the sign-ups and the emails they caused), whatever the number of tabs: the listener's statement.
    const batchReads = seen.filter((s) => s.includes('user_status_count') && s.includes('json_agg'));
    const events = (await latestId(one)) - firstEvent;
    expect(batchReads.length).toBeGreaterThan(0);
    // At most one per event, give or take the listener's reads that find no new event (its catch-up
    // and safety polls, more of them on a loaded machine); a read per tab would be 12 per event.
    expect(batchReads.length).toBeLessThanOrEqual(2 * (events + 1));
    expect(batchReads.length).toBeLessThan(tabs.length * events);
    // A stats read (a page load or a reconnect: the tabs above needed none, the events carried the counts) is one sum of the kept rows.
    expect(seen.filter((s) => s.includes('user_status_count') && !s.includes('json_agg')).length).toBe(reads + tabs.length);
    expect(quietReads.length).toBe(tabs.length);
    const truth = await trueCounts(one);
    for (const t of tabs) expect(lastCounts(t.events)?.total).toBe(truth.total);
  });

  it('reconcile corrects drift left by writes that bypassed the triggers', async () => {
    const admin = await adminSession(one);
    await caughtUp(one);
    // A write with triggers off (as a data-only restore with session_replication_role = replica would do).
    await one.services.em().transactional(async (tx) => {
      await tx.execute(`set local session_replication_role = replica`);
      await tx.execute(
        `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
         values (gen_random_uuid(), ?, 'Drift', 'Row', (select id from organisation where is_default), 'developer', 'inactive', null, false, now(), now(), 1)`,
        [uniqueEmail('drift')],
      );
    });
    const truth = await trueCounts(one);
    const kept = await readUserCounts(one.services.em());
    expect(kept.byStatus.inactive).toBe(truth.byStatus.inactive! - 1);

    const outcome = await one.scheduler.runNow('reconcile-user-counts');
    expect(outcome).toMatchObject({ status: 'ran', result: { userCountsCorrected: 1 } });
    const fixed = await readUserCounts(one.services.em());
    expect({ byStatus: fixed.byStatus, total: fixed.total }).toEqual(truth);
    // Nothing to correct the second time.
    expect(await one.scheduler.runNow('reconcile-user-counts')).toMatchObject({ result: { userCountsCorrected: 0 } });
    // The next event brings the corrected counts to the process and its tabs.
    await signup(one, 300);
    await caughtUp(one);
    const after = await trueCounts(one);
    expect((await admin.caller.admin.users.stats()).byStatus).toEqual(after.byStatus);
  });

  it('two sign-ups on different connections do not wait for each other on a counter row', async () => {
    const url = one.db.url;
    const clients: pg.Client[] = [];
    try {
      // Two connections in different shards (a connection's shard is its backend pid modulo 64).
      const first = new pg.Client({ connectionString: url });
      await first.connect();
      clients.push(first);
      const shardOf = async (c: pg.Client) => (await c.query<{ s: number }>('select pg_backend_pid() % 64 as s')).rows[0]!.s;
      const firstShard = await shardOf(first);
      let second: pg.Client | null = null;
      while (!second) {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        clients.push(c);
        if ((await shardOf(c)) !== firstShard) second = c;
      }
      const insert = `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, must_change_password, created_at, updated_at, version)
                      values (gen_random_uuid(), $1, 'Lock', 'Free', (select id from organisation where is_default), 'developer', 'pending', false, now(), now(), 1)`;
      await first.query('begin');
      await first.query(insert, [uniqueEmail('hold')]);
      // The first transaction holds its shard's row; the second commits without waiting for it.
      await second.query(`set lock_timeout = '2s'`);
      await second.query('begin');
      await second.query(insert, [uniqueEmail('free')]);
      await second.query('commit');
      await first.query('commit');
      const truth = await trueCounts(one);
      expect((await readUserCounts(one.services.em())).byStatus).toEqual(truth.byStatus);
    } finally {
      for (const c of clients) await c.end().catch(() => undefined);
    }
  });
});
