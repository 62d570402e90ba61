import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, insertUser } from '../../support/users.js';
import { apiClient, createTestToken } from '../../support/api.js';

/** Optimistic concurrency over HTTP: ETag is the user's version; If-Match is required on every change and decision. */
describe('REST API ETag / If-Match on the user version', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
    api = apiClient(app, (await createTestToken(app, admin.id)).token);
  });
  afterAll(() => app.stop());

  it('GET sends the version as a strong ETag; an edit with it succeeds and answers the new one; the old one then gets 412 and changes nothing', async () => {
    const u = await insertUser(app, { firstName: 'Ada' });
    const got = await api.get(`/users/${u.id}`);
    expect(got.headers.get('etag')).toBe('"1"');
    const edited = await api.patch(`/users/${u.id}`, { firstName: 'Grace' }, { 'if-match': got.headers.get('etag')! });
    expect(edited.status).toBe(200);
    expect(edited.headers.get('etag')).toBe('"2"');
    expect(edited.body).toMatchObject({ user: { firstName: 'Grace', lastName: 'User', version: 2 }, changes: { firstName: { from: 'Ada', to: 'Grace' } } });
    const stale = await api.patch(`/users/${u.id}`, { lastName: 'Hopper' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('etag')).toBe('"2"');
    expect(stale.body.details.user).toMatchObject({ firstName: 'Grace', version: 2 });
    const [row] = await sql(app, `select first_name, last_name, version from app_user where id = ?`, [u.id]);
    expect(row).toEqual({ first_name: 'Grace', last_name: 'User', version: 2 });
  });

  it("a change made in the app meanwhile (the UI's USER_CHANGED) makes the API's If-Match stale: 412", async () => {
    const u = await insertUser(app, { status: 'pending' });
    const etag = (await api.get(`/users/${u.id}`)).headers.get('etag')!;
    await admin.caller.admin.users.reject({ userId: u.id, expectedVersion: 1, reason: null });
    const res = await api.post(`/users/${u.id}/activate`, undefined, { 'if-match': etag });
    expect(res.status).toBe(412);
    expect(res.body).toMatchObject({ reason: 'USER_CHANGED', details: { user: { status: 'rejected', version: 2 } } });
    expect((await sql(app, `select status from app_user where id = ?`, [u.id]))[0].status).toBe('rejected');
  });

  it('every change and decision on a user refuses a request without If-Match (428) and changes nothing', async () => {
    const pending = await insertUser(app, { status: 'pending' });
    const rejected = await insertUser(app, { status: 'rejected' });
    const active = await insertUser(app);
    const calls = [
      () => api.patch(`/users/${active.id}`, { firstName: 'X' }),
      () => api.post(`/users/${pending.id}/activate`),
      () => api.post(`/users/${pending.id}/reject`, { reason: 'no' }),
      () => api.post(`/users/${rejected.id}/reconsider`, { to: 'active' }),
      () => api.post(`/users/${active.id}/deactivate`),
      () => api.delete(`/users/${active.id}`),
    ];
    for (const call of calls) {
      const res = await call();
      expect(res.status).toBe(428);
      expect(res.body.type).toMatch(/if-match-required$/);
    }
    const rows = await sql(app, `select id, status, version from app_user where id in (?, ?, ?) order by id`, [pending.id, rejected.id, active.id]);
    expect(rows.map((r) => r.version)).toEqual([1, 1, 1]);
    expect(rows.find((r) => r.id === pending.id).status).toBe('pending');
  });

  it('If-Match must be one strong ETag: *, a list, a weak tag or an unquoted number are 400', async () => {
    const u = await insertUser(app, { status: 'pending' });
    for (const value of ['*', '"1", "2"', 'W/"1"', '1', '"abc"', '"0"']) {
      const res = await api.post(`/users/${u.id}/activate`, undefined, { 'if-match': value });
      expect(res.status, value).toBe(400);
    }
    expect((await sql(app, `select status from app_user where id = ?`, [u.id]))[0].status).toBe('pending');
  });

  it('two integrations deciding on one user at once with the same ETag: exactly one wins, the other gets 412', async () => {
    const other = apiClient(app, (await createTestToken(app, admin.id)).token);
    for (let round = 0; round < 5; round++) {
      const u = await insertUser(app, { status: 'pending' });
      const [a, b] = await Promise.all([
        api.post(`/users/${u.id}/activate`, undefined, { 'if-match': '"1"' }),
        other.post(`/users/${u.id}/reject`, { reason: 'Duplicate' }, { 'if-match': '"1"' }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 412]);
      const winner = a.status === 200 ? 'active' : 'rejected';
      expect((await sql(app, `select status, version from app_user where id = ?`, [u.id]))[0]).toEqual({ status: winner, version: 2 });
    }
  });

  it('decisions answer the user with its new ETag, so the next one can follow without a GET', async () => {
    const u = await insertUser(app, { status: 'pending' });
    const activated = await api.post(`/users/${u.id}/activate`, undefined, { 'if-match': '"1"' });
    expect(activated.headers.get('etag')).toBe('"2"');
    const deactivated = await api.post(`/users/${u.id}/deactivate`, undefined, { 'if-match': activated.headers.get('etag')! });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.user).toMatchObject({ status: 'inactive', version: 3 });
    const deleted = await api.delete(`/users/${u.id}`, { 'if-match': deactivated.headers.get('etag')! });
    expect(deleted.status).toBe(204);
    expect(await sql(app, `select 1 from app_user where id = ?`, [u.id])).toEqual([]);
  });
});
