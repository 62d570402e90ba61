import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { httpClient } from '../../support/http.js';
import { runAsApiToken } from '../../../server/events/actor-context.js';
import { bulkDecide } from '../../../server/users/bulk.service.js';
import { registerFixture, subscribeLive } from './live-support.js';

// Bulk decisions are set-based (issue 14 point 2): one transaction per call, the events appended
// under one take of the append lock, and the same events, emails and webhook deliveries as the
// single actions write.

describe('bulk decisions, set-based', () => {
  let app: TestApp;
  let me: Awaited<ReturnType<typeof adminSession>>;
  let other: Awaited<ReturnType<typeof adminSession>>;
  const endpointId = randomUUID();
  beforeAll(async () => {
    app = await startTestApp();
    me = await adminSession(app);
    other = await adminSession(app);
    await sql(app, `update app_user set first_name = 'Grace', last_name = 'Hopper' where id = ?`, [other.id]);
    await sql(app, `update app_user set first_name = 'Ada', last_name = 'Lovelace' where id = ?`, [me.id]);
    // An enabled endpoint on user.*: every decision gets a webhook delivery row (the worker cannot reach it; only the rows matter).
    await sql(
      app,
      `insert into webhook_endpoint (id, url, event_types, enabled, secret_enc, created_at, updated_at)
       values (?, 'https://hooks.example.test/bulk', '["user.*"]', true, 'x', now(), now())`,
      [endpointId],
    );
  });
  afterAll(() => app.stop());

  const pending = async (n: number) => {
    const made = [];
    for (let i = 0; i < n; i++) made.push(await registerFixture(app));
    return made;
  };
  const ids = (users: { userId: string }[]) => `{${users.map((u) => u.userId).join(',')}}`;
  const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

  it('appends the events of a bulk in one transaction with contiguous ids in user id order; each subscribed admin receives each once', async () => {
    const users = await pending(25);
    const mine = subscribeLive(app.url, { sessionId: me.sessionId, origin: app.origin });
    const theirs = subscribeLive(app.url, { sessionId: other.sessionId, origin: app.origin });
    try {
      await Promise.all([mine.started, theirs.started]);
      const res = await me.caller.admin.users.bulk.decide({ decision: 'activate', users: users.map((u) => ({ userId: u.userId, expectedVersion: 1 })) });
      expect(res).toMatchObject({ succeeded: 25, failed: 0 });

      const events = await sql<{ id: string; user_id: string; tx: string }>(
        app,
        `select id, user_id, xmin::text as tx from domain_event where type = 'user.activated' and user_id = any(?::uuid[]) order by id`,
        [ids(users)],
      );
      expect(events).toHaveLength(25);
      // One transaction wrote them all (and the users' rows and emails with them).
      expect(new Set(events.map((e) => e.tx)).size).toBe(1);
      const tx = events[0]!.tx;
      expect(await sql(app, `select distinct xmin::text as tx from app_user where id = any(?::uuid[])`, [ids(users)])).toEqual([{ tx }]);
      // The emails too: now() is the transaction's start, the same in every row it wrote (the mail worker may have sent them since).
      const [{ at }] = await sql(app, `select distinct updated_at as at from app_user where id = any(?::uuid[])`, [ids(users)]);
      expect(
        await sql(app, `select distinct created_at as at from email_outbox where template = 'account-activated' and user_id = any(?::uuid[])`, [ids(users)]),
      ).toEqual([{ at }]);
      // Contiguous ids, in the order of the users' ids.
      const first = Number(events[0]!.id);
      expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => first + i));
      expect(events.map((e) => e.user_id)).toEqual(users.map((u) => u.userId).sort(byId));

      for (const watch of [mine, theirs]) {
        await watch.waitFor((e) => e.filter((x) => x.type === 'user.activated').length >= 25);
        const got = watch.events.filter((x) => x.type === 'user.activated').map((x) => x.userId!);
        expect(got).toHaveLength(25);
        expect(new Set(got)).toEqual(new Set(users.map((u) => u.userId)));
        expect(watch.events.filter((x) => x.type === 'user.activated').every((x) => x.actorId === me.id)).toBe(true);
      }
    } finally {
      mine.close();
      theirs.close();
    }
  });

  it('writes the same event, email and webhook delivery as the single action', async () => {
    for (const decision of ['activate', 'reject'] as const) {
      const [single, bulk] = await pending(2);
      if (decision === 'activate') await me.caller.admin.users.activate({ userId: single!.userId, expectedVersion: 1 });
      else await me.caller.admin.users.reject({ userId: single!.userId, expectedVersion: 1, reason: '  Not a company address ' });
      await me.caller.admin.users.bulk.decide({
        decision,
        reason: decision === 'reject' ? '  Not a company address ' : null,
        users: [{ userId: bulk!.userId, expectedVersion: 1 }],
      });
      const type = decision === 'activate' ? 'user.activated' : 'user.rejected';
      const written = async (userId: string, email: string) => {
        const [event] = await sql(app, `select id, type, actor_id, actor_token_id, data from domain_event where type = ? and user_id = ?`, [type, userId]);
        const [row] = await sql(app, `select email, version, status, rejection_reason from app_user where id = ?`, [userId]);
        const [mail] = await sql(app, `select template, to_address, variables, max_attempts from email_outbox where user_id = ?`, [userId]);
        const [hook] = await sql(app, `select event_id, event_type, user_id, endpoint_id, max_attempts, payload from webhook_delivery where event_id = ?`, [
          event.id,
        ]);
        expect(event.data.user).toMatchObject({ id: userId, email, status: row.status, version: row.version });
        expect(mail.to_address).toBe(email);
        expect(hook).toMatchObject({ event_id: event.id, user_id: userId, endpoint_id: endpointId });
        expect(hook.payload.data.eventId).toBe(Number(event.id));
        // What the workers change later (status, attempts) is left out; what differs between two users by nature: ids, addresses, times.
        const person = (u: Record<string, unknown>) => ({ ...u, id: '<user>', email: '<email>', createdAt: '<time>' });
        return {
          event: { type: event.type, actor_id: event.actor_id, actor_token_id: event.actor_token_id, data: { ...event.data, user: person(event.data.user) } },
          row: { ...row, email: '<email>' },
          mail: { ...mail, to_address: '<email>' },
          hook: {
            ...hook,
            event_id: '<event>',
            user_id: '<user>',
            payload: { ...hook.payload, timestamp: '<time>', data: { ...hook.payload.data, eventId: '<event>', user: person(hook.payload.data.user) } },
          },
        };
      };
      const a = await written(single!.userId, single!.email);
      const b = await written(bulk!.userId, bulk!.email);
      expect(b).toEqual(a);
    }
  });

  it('records the API token an event was written under, as appendEvent does', async () => {
    const [u] = await pending(1);
    const tokenId = randomUUID();
    const actor = {
      id: me.id,
      email: me.email,
      firstName: 'Ada',
      lastName: 'Lovelace',
      role: 'admin' as const,
      status: 'active' as const,
      mustChangePassword: false,
    };
    const res = await runAsApiToken({ tokenId, tokenName: 'CI token', userId: me.id, scopes: [] }, () =>
      bulkDecide(app.services, actor, 'activate', [{ userId: u!.userId, expectedVersion: 1 }], null),
    );
    expect(res.succeeded).toBe(1);
    expect(
      await sql(app, `select actor_id, actor_token_id, actor_token_name from domain_event where type = 'user.activated' and user_id = ?`, [u!.userId]),
    ).toEqual([{ actor_id: me.id, actor_token_id: tokenId, actor_token_name: 'CI token' }]);
  });

  it('a user another transaction is deciding right now: the bulk waits for it, reports who won, and decides the others', async () => {
    const users = await pending(6);
    const contested = users[3]!;
    // Another admin's decision holds the row (as its own transaction would) while the bulk starts.
    const holder = new pg.Client({ connectionString: app.db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select id from app_user where id = $1 for update`, [contested.userId]);
      const running = me.caller.admin.users.bulk.decide({
        decision: 'reject',
        reason: null,
        users: users.map((u) => ({ userId: u.userId, expectedVersion: 1 })),
      });
      await waitForLockWaits(app, 1);
      await holder.query(`update app_user set status = 'active', version = version + 1 where id = $1`, [contested.userId]);
      await holder.query(
        `insert into domain_event (type, actor_id, user_id, data, created_at) values ('user.activated', $1, $2, '{}'::jsonb, clock_timestamp())`,
        [other.id, contested.userId],
      );
      await holder.query('commit');
      const res = await running;
      expect(res).toMatchObject({ succeeded: 5, failed: 1 });
      const lost = res.results.find((r) => !r.ok)!;
      expect(lost).toMatchObject({ userId: contested.userId, message: 'Already activated by another admin (Grace Hopper).' });
      expect(lost.user).toMatchObject({ status: 'active', version: 2 });
      const statuses = await sql(app, `select id, status from app_user where id = any(?::uuid[])`, [ids(users)]);
      expect(statuses.filter((s) => s.status === 'rejected')).toHaveLength(5);
      expect(
        await sql(app, `select count(*)::int as n from email_outbox where template = 'registration-rejected' and user_id = ?`, [contested.userId]),
      ).toEqual([{ n: 0 }]);
    } finally {
      await holder.end();
    }
  });

  it('two admins bulk-deciding overlapping sets at once: each user is decided exactly once, and the loser is told who won', async () => {
    const users = await pending(30);
    const setA = users.slice(0, 20);
    const setB = users.slice(10, 30).reverse();
    // Hold one shared user so that both bulks are under way (each waiting on a row) before either can finish.
    const holder = new pg.Client({ connectionString: app.db.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select id from app_user where id = $1 for update`, [users[15]!.userId]);
      const a = me.caller.admin.users.bulk.decide({ decision: 'activate', users: setA.map((u) => ({ userId: u.userId, expectedVersion: 1 })) });
      const b = other.caller.admin.users.bulk.decide({
        decision: 'reject',
        reason: 'Duplicate',
        users: setB.map((u) => ({ userId: u.userId, expectedVersion: 1 })),
      });
      await waitForLockWaits(app, 2);
      await holder.query('rollback');
      const [ra, rb] = await Promise.all([a, b]);

      const events = await sql<{ user_id: string; type: string; actor_id: string }>(
        app,
        `select user_id, type, actor_id from domain_event where type in ('user.activated', 'user.rejected') and user_id = any(?::uuid[])`,
        [ids(users)],
      );
      // Every user decided exactly once, by one of the two.
      expect(events).toHaveLength(30);
      expect(new Set(events.map((e) => e.user_id)).size).toBe(30);
      expect(ra.succeeded + rb.succeeded).toBe(30);
      expect(ra.failed + rb.failed).toBe(10);
      const winnerOf = new Map(events.map((e) => [e.user_id, e.actor_id]));
      for (const [res, mine, theirs, done] of [
        [ra, me.id, 'another admin (Grace Hopper)', 'rejected'],
        [rb, other.id, 'another admin (Ada Lovelace)', 'activated'],
      ] as const) {
        for (const r of res.results) {
          if (r.ok) expect(winnerOf.get(r.userId)).toBe(mine);
          else expect(r.message).toBe(`Already ${done} by ${theirs}.`);
        }
      }
      // The overlap went to one admin as a whole: whoever got its rows first.
      const overlap = users.slice(10, 20).map((u) => winnerOf.get(u.userId));
      expect(new Set(overlap).size).toBe(1);
      // Statuses match the events; one email per user.
      const rows = await sql(app, `select id, status from app_user where id = any(?::uuid[])`, [ids(users)]);
      for (const r of rows) expect(r.status).toBe(events.find((e) => e.user_id === r.id)!.type === 'user.activated' ? 'active' : 'rejected');
      const mails = await sql(app, `select user_id, count(*)::int as n from email_outbox where user_id = any(?::uuid[]) group by user_id`, [ids(users)]);
      expect(mails).toHaveLength(30);
      expect(mails.every((m) => m.n === 1)).toBe(true);
    } finally {
      await holder.end();
    }
  });

  it('decides 1,000 users in one call over HTTP, as the users page sends a selection', async () => {
    const seeded = await sql<{ id: string }>(
      app,
      `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
       select gen_random_uuid(), 'thousand.' || g || '@example.test', 'Many', 'User ' || g, (select id from organisation where is_default), 'developer', 'pending', null, false, now(), now(), 1
         from generate_series(1, 1000) g returning id`,
    );
    const client = httpClient(app.url, { sessionId: me.sessionId, origin: app.origin });
    const res = await client.admin.users.bulk.decide.mutate({ decision: 'activate', users: seeded.map((u) => ({ userId: u.id, expectedVersion: 1 })) });
    expect(res).toMatchObject({ succeeded: 1000, failed: 0 });
    expect(res.results.map((r) => r.userId)).toEqual(seeded.map((u) => u.id));
    const [events] = await sql(
      app,
      `select count(*)::int as n, count(distinct xmin::text)::int as txs, max(id) - min(id) + 1 as span
         from domain_event where type = 'user.activated' and user_id in (select id from app_user where email like 'thousand.%')`,
    );
    expect(events).toEqual({ n: 1000, txs: 1, span: '1000' });
  });

  it('a suppressed address is written as suppressed, as queueEmail does, and the others go', async () => {
    const [a, b] = await pending(2);
    await sql(app, `insert into email_suppression (address, reason, source, created_at) values (lower(?), 'Asked us to stop', 'admin', now())`, [b!.email]);
    const res = await me.caller.admin.users.bulk.decide({ decision: 'activate', users: [a!, b!].map((u) => ({ userId: u.userId, expectedVersion: 1 })) });
    expect(res.succeeded).toBe(2);
    const mails = await sql(app, `select user_id, status, last_error from email_outbox where user_id = any(?::uuid[])`, [ids([a!, b!])]);
    expect(mails.find((m) => m.user_id === a!.userId)).toMatchObject({ status: 'pending', last_error: null });
    expect(mails.find((m) => m.user_id === b!.userId)).toMatchObject({
      status: 'suppressed',
      last_error: 'Not sent: the address is on the suppression list (Asked us to stop)',
    });
  });
});

/** Waits until `n` of the app's connections wait for a row lock (the bulks are under way). */
async function waitForLockWaits(app: TestApp, n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [r] = await sql(
      app,
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event in ('transactionid', 'tuple')`,
    );
    if (r.n >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${r.n} of ${n} connections waited for a row lock`);
    await new Promise((res) => setTimeout(res, 20));
  }
}
