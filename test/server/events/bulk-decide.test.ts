import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { registerFixture, subscribeLive } from './live-support.js';

describe('admin.users.bulk.decide and admin.users.bulk.pending', () => {
  let app: TestApp;
  let me: Awaited<ReturnType<typeof adminSession>>;
  let other: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    app = await startTestApp();
    me = await adminSession(app);
    other = await adminSession(app);
    await sql(app, `update app_user set first_name = 'Grace', last_name = 'Hopper' where id = ?`, [other.id]);
  });
  afterAll(() => app.stop());

  const pending = async (n: number) => Promise.all(Array.from({ length: n }, () => registerFixture(app)));
  const statusOf = async (id: string) => (await sql(app, `select status, rejection_reason from app_user where id = ?`, [id]))[0];

  it('activates many pending users in one step, each with its own event streamed live to every admin', async () => {
    const users = await pending(5);
    const watch = subscribeLive(app.url, { sessionId: other.sessionId, origin: app.origin });
    try {
      await watch.started;
      const res = await me.caller.admin.users.bulk.decide({ decision: 'activate', users: users.map((u) => ({ userId: u.userId, expectedVersion: 1 })) });
      expect(res).toMatchObject({ succeeded: 5, failed: 0 });
      expect(res.results.every((r) => r.ok && r.user?.status === 'active' && r.message === null)).toBe(true);
      for (const u of users) expect((await statusOf(u.userId)).status).toBe('active');
      await watch.waitFor((e) => e.filter((x) => x.type === 'user.activated').length === 5);
      expect(new Set(watch.events.map((e) => e.userId))).toEqual(new Set(users.map((u) => u.userId)));
      expect(watch.events.every((e) => e.actorId === me.id)).toBe(true);
      // The emails go out as for single decisions.
      const mails = await sql(app, `select count(*)::int as n from email_outbox where template = 'account-activated' and user_id = any(?::uuid[])`, [
        `{${users.map((u) => u.userId).join(',')}}`,
      ]);
      expect(mails[0].n).toBe(5);
    } finally {
      watch.close();
    }
  });

  it('one conflict does not roll back the others; the result says who decided first', async () => {
    const [a, b, c] = await pending(3);
    // Another admin gets to b first.
    await other.caller.admin.users.activate({ userId: b!.userId, expectedVersion: 1 });
    const res = await me.caller.admin.users.bulk.decide({
      decision: 'activate',
      users: [a!, b!, c!].map((u) => ({ userId: u.userId, expectedVersion: 1 })),
    });
    expect(res).toMatchObject({ succeeded: 2, failed: 1 });
    const failed = res.results.find((r) => !r.ok)!;
    expect(failed.userId).toBe(b!.userId);
    expect(failed.message).toBe('Already activated by another admin (Grace Hopper).');
    expect(failed.user?.status).toBe('active');
    expect((await statusOf(a!.userId)).status).toBe('active');
    expect((await statusOf(c!.userId)).status).toBe('active');
    // Exactly one activation event for b: the other admin's.
    const events = await sql(app, `select actor_id from domain_event where type = 'user.activated' and user_id = ?`, [b!.userId]);
    expect(events).toEqual([{ actor_id: other.id }]);
  });

  it('rejects with one optional reason, told to each user; a rejected-by-another and a deleted user are reported', async () => {
    const [a, b, gone] = await pending(3);
    await other.caller.admin.users.reject({ userId: b!.userId, expectedVersion: 1, reason: null });
    await sql(app, `delete from app_user where id = ?`, [gone!.userId]);
    const res = await me.caller.admin.users.bulk.decide({
      decision: 'reject',
      reason: '  Not a company address  ',
      users: [a!, b!, gone!].map((u) => ({ userId: u.userId, expectedVersion: 1 })),
    });
    expect(res).toMatchObject({ succeeded: 1, failed: 2 });
    expect(await statusOf(a!.userId)).toEqual({ status: 'rejected', rejection_reason: 'Not a company address' });
    const byId = Object.fromEntries(res.results.map((r) => [r.userId, r]));
    expect(byId[b!.userId]!.message).toBe('Already rejected by another admin (Grace Hopper).');
    expect(byId[gone!.userId]).toMatchObject({ ok: false, message: 'No longer exists (it was deleted).', user: null });
    const ev = await sql(app, `select data->>'reason' as reason from domain_event where type = 'user.rejected' and user_id = ?`, [a!.userId]);
    expect(ev).toEqual([{ reason: 'Not a company address' }]);
  });

  it('reports a decision the same admin already made as "by you", and a stale version as changed', async () => {
    const [a, b] = await pending(2);
    await me.caller.admin.users.activate({ userId: a!.userId, expectedVersion: 1 });
    await sql(app, `update app_user set first_name = 'Renamed', version = version + 1 where id = ?`, [b!.userId]);
    const res = await me.caller.admin.users.bulk.decide({ decision: 'activate', users: [a!, b!].map((u) => ({ userId: u.userId, expectedVersion: 1 })) });
    expect(res.results.map((r) => r.message)).toEqual(['Already activated by you.', 'Changed by someone else in the meantime; review it and try again.']);
    expect((await statusOf(b!.userId)).status).toBe('pending');
  });

  it('refuses bad input with clear messages and changes nothing', async () => {
    const [a] = await pending(1);
    const cases: [unknown, string, string][] = [
      [{ decision: 'activate', users: [] }, 'users', 'Select at least one user'],
      [
        {
          decision: 'activate',
          users: [
            { userId: a!.userId, expectedVersion: 1 },
            { userId: a!.userId, expectedVersion: 1 },
          ],
        },
        'users',
        'A user is selected twice',
      ],
      [{ decision: 'promote', users: [{ userId: a!.userId, expectedVersion: 1 }] }, 'decision', 'Choose Activate or Reject'],
      [{ decision: 'reject', users: [{ userId: 'nope', expectedVersion: 1 }] }, 'users.0.userId', 'Invalid id'],
      [{ decision: 'reject', reason: 'x'.repeat(501), users: [{ userId: a!.userId, expectedVersion: 1 }] }, 'reason', 'Reason must be at most 500 characters'],
    ];
    for (const [input, field, message] of cases) {
      const err = await me.caller.admin.users.bulk.decide(input as any).catch((e) => e);
      expect(err.code, JSON.stringify(input).slice(0, 80)).toBe('BAD_REQUEST');
      expect(err.cause?.issues?.find((i: any) => i.path.join('.') === field)?.message).toBe(message);
    }
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ userId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, expectedVersion: 1 }));
    const err = await me.caller.admin.users.bulk.decide({ decision: 'activate', users: tooMany }).catch((e) => e);
    expect(err.code).toBe('BAD_REQUEST');
    expect((await statusOf(a!.userId)).status).toBe('pending');
  });

  it('lists the pending queue by age, waiting longest first (or newest first), page by page', async () => {
    const tag = `queue${Date.now().toString(36)}`;
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await registerFixture(app, { email: `${tag}.${i}@example.test` }));
    // Registered 7, 6, … 1 hours ago: made[0] has waited longest.
    for (let i = 0; i < 7; i++) await sql(app, `update app_user set created_at = now() - make_interval(hours => ?) where id = ?`, [7 - i, made[i]!.userId]);
    const decided = made[3]!;
    await me.caller.admin.users.activate({ userId: decided.userId, expectedVersion: 1 });
    const pendingIds = made.filter((m) => m !== decided).map((m) => m.userId);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof me.caller.admin.users.bulk.pending>> = await me.caller.admin.users.bulk.pending({
        sort: 'oldest',
        search: tag,
        limit: 4,
        cursor,
      });
      expect(page.items.every((u) => u.status === 'pending')).toBe(true);
      seen.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(pendingIds);

    const newest = await me.caller.admin.users.bulk.pending({ sort: 'newest', search: tag, limit: 100 });
    expect(newest.items.map((u) => u.id)).toEqual([...pendingIds].reverse());
    expect(newest.nextCursor).toBeNull();

    const err = await me.caller.admin.users.bulk.pending({ cursor: 'not-a-cursor' }).catch((e) => e);
    expect(err.code).toBe('BAD_REQUEST');
  });
});
