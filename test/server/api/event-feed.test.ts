import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, insertUser } from '../../support/users.js';
import { apiClient, createTestToken } from '../../support/api.js';

/** GET /events?after=<id>: the domain event feed for integrations that poll. */
describe('REST API event feed', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let feed: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    app = await startTestApp({ env: { MAIL_WORKER: 'false' } });
    admin = await adminSession(app);
    feed = apiClient(app, (await createTestToken(app, admin.id, ['events:read'])).token);
  });
  afterAll(() => app.stop());

  const newest = async () => Number((await sql(app, `select coalesce(max(id), 0) as m from domain_event`))[0].m);

  it('gives the events after an id, oldest first, and nextAfter continues exactly where it stopped', async () => {
    const start = await newest();
    const users = [];
    for (let i = 0; i < 5; i++) {
      const u = await insertUser(app, { status: 'pending' });
      await admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 });
      users.push(u.id);
    }
    const page1 = await feed.get(`/events?after=${start}&limit=3`);
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((e: any) => e.type)).toEqual(['user.activated', 'user.activated', 'user.activated']);
    expect(page1.body.items.map((e: any) => e.userId)).toEqual(users.slice(0, 3));
    expect(page1.body.hasMore).toBe(true);
    expect(page1.body.nextAfter).toBe(page1.body.items[2].id);
    const page2 = await feed.get(`/events?after=${page1.body.nextAfter}&limit=3`);
    expect(page2.body.items.map((e: any) => e.userId)).toEqual(users.slice(3));
    expect(page2.body.hasMore).toBe(false);
    const ids = [...page1.body.items, ...page2.body.items].map((e: any) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(page2.body.items[0]).toMatchObject({ actorId: admin.id, actorName: 'Test User', actorToken: null, data: { previousStatus: 'pending' } });
  });

  it('polling at the end gives nothing and the same position; the next change then appears', async () => {
    const end = await newest();
    const idle = await feed.get(`/events?after=${end}`);
    expect(idle.body).toEqual({ items: [], nextAfter: end, hasMore: false });
    await admin.caller.admin.organisations.create({ name: 'Polled Ltd' });
    const next = await feed.get(`/events?after=${idle.body.nextAfter}`);
    expect(next.body.items).toHaveLength(1);
    expect(next.body.items[0]).toMatchObject({ type: 'organisation.created', data: { organisation: { name: 'Polled Ltd' } } });
  });

  it('after and limit are checked: negative, too large or not numbers are 422', async () => {
    for (const q of ['after=-1', 'after=abc', 'limit=0', 'limit=501', 'after=1e3']) {
      const res = await feed.get(`/events?${q}`);
      expect(res.status, q).toBe(422);
    }
  });
});
