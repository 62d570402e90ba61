import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sessionIdFrom, sql, sqlCount, startTestApp, type TestApp } from '../support/app.js';
import { adminSession, developerSession, insertUser, loginAs } from '../support/users.js';
import { httpClient, wsClient } from '../support/http.js';
import { TOUCH_INTERVAL_MS } from '../../server/sessions/session-store.js';

const MINUTE = 60_000;
const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');

describe('sessions (issue 10, item 8)', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
  });
  afterEach(async () => {
    app.clock.reset();
    await app.services.em().execute(`delete from setting where key in ('sessionIdleTimeoutMinutes', 'sessionAbsoluteLifetimeHours')`);
  });
  afterAll(() => app.stop());

  async function setPolicy(idleMinutes: number, absoluteHours: number) {
    await admin.caller.admin.settings.sessions.update({
      sessionIdleTimeoutMinutes: idleMinutes,
      sessionAbsoluteLifetimeHours: absoluteHours,
      passwordMinLength: 12,
    });
  }

  it('stores only the SHA-256 of the token: the raw value from the cookie is not in the table', async () => {
    const dev = await insertUser(app);
    const token = await loginAs(app, dev.email, dev.password!);
    // 20 random bytes in base32: 32 characters, 160 bits.
    expect(token).toMatch(/^[a-z2-7]{32}$/);
    expect(await sqlCount(app, `select count(*) from user_session where id = ?`, [token])).toBe(0);
    const rows = await sql<{ id: string }>(app, `select id from user_session where user_id = ?`, [dev.id]);
    expect(rows.map((r) => r.id)).toEqual([sha256hex(token)]);
    // No column holds the token in any form other than its hash.
    const dump = JSON.stringify(await sql(app, `select * from user_session where user_id = ?`, [dev.id]));
    expect(dump).not.toContain(token);
    expect((await app.caller({ sessionId: token }).auth.me()).user?.id).toBe(dev.id);
    // The stored id itself opens nothing.
    expect((await app.caller({ sessionId: rows[0]!.id }).auth.me()).user).toBeNull();
  });

  it('records created, last seen, expiries, IP and user agent', async () => {
    const dev = await insertUser(app);
    const token = await loginAs(app, dev.email, dev.password!);
    const [row] = await sql(app, `select * from user_session where id = ?`, [sha256hex(token)]);
    expect(row.ip).toBe('127.0.0.1');
    expect(row.user_agent).toBe('vitest');
    expect(new Date(row.last_seen_at).getTime()).toBe(new Date(row.created_at).getTime());
    // Defaults: idle 24 hours, absolute 30 days.
    expect(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime()).toBe(24 * 60 * MINUTE);
    expect(new Date(row.absolute_expires_at).getTime() - new Date(row.created_at).getTime()).toBe(30 * 24 * 60 * MINUTE);
  });

  it('ends after the idle timeout, which slides with use', async () => {
    await setPolicy(60, 24);
    const dev = await insertUser(app);
    const token = await loginAs(app, dev.email, dev.password!);
    const me = () => app.caller({ sessionId: token }).auth.me();
    app.clock.advance(59 * MINUTE);
    expect((await me()).user?.id).toBe(dev.id);
    app.clock.advance(59 * MINUTE); // 118 min after login, 59 after last use
    expect((await me()).user?.id).toBe(dev.id);
    app.clock.advance(61 * MINUTE); // 61 min idle
    const caller = app.caller({ sessionId: token });
    expect((await caller.auth.me()).user).toBeNull();
    expect(caller.cookies.some((c) => /^admit_session=;/.test(c))).toBe(true);
    expect(await sqlCount(app, `select count(*) from user_session where id = ?`, [sha256hex(token)])).toBe(0);
  });

  it('ends at the absolute lifetime however busy it is', async () => {
    await setPolicy(60, 2);
    const dev = await insertUser(app);
    const token = await loginAs(app, dev.email, dev.password!);
    const me = () => app.caller({ sessionId: token }).auth.me();
    for (let t = 30; t < 120; t += 30) {
      app.clock.advance(30 * MINUTE);
      expect((await me()).user?.id, `${t} min`).toBe(dev.id);
    }
    app.clock.advance(31 * MINUTE); // 121 min after login, 31 after last use
    expect((await me()).user).toBeNull();
  });

  it('a shortened lifetime applies to running sessions at their next touch', async () => {
    const dev = await insertUser(app);
    const token = await loginAs(app, dev.email, dev.password!);
    await setPolicy(60, 1);
    app.clock.advance(61 * MINUTE);
    expect((await app.caller({ sessionId: token }).auth.me()).user).toBeNull();
  });

  it('writes last seen at most once a minute, not per request', async () => {
    const dev = await insertUser(app);
    const token = await loginAs(app, dev.email, dev.password!);
    const lastSeen = async () => new Date((await sql(app, `select last_seen_at from user_session where id = ?`, [sha256hex(token)]))[0].last_seen_at).getTime();
    const first = await lastSeen();
    app.clock.advance(TOUCH_INTERVAL_MS - 5_000);
    for (let i = 0; i < 5; i++) await app.caller({ sessionId: token }).auth.me();
    expect(await lastSeen()).toBe(first);
    app.clock.advance(10_000);
    const caller = app.caller({ sessionId: token });
    await caller.auth.me();
    expect(await lastSeen()).toBeGreaterThan(first);
    // The touched session's cookie is sent again with its new lifetime.
    expect(sessionIdFrom(caller.cookies)).toBe(token);
  });

  it('users list their sessions and end one or all others', async () => {
    const dev = await insertUser(app);
    const [a, b, c] = [
      await loginAs(app, dev.email, dev.password!),
      await loginAs(app, dev.email, dev.password!),
      await loginAs(app, dev.email, dev.password!),
    ];
    const mine = app.caller({ sessionId: a });
    const { sessions } = await mine.auth.sessions.list();
    expect(sessions).toHaveLength(3);
    expect(sessions.filter((s) => s.current).map((s) => s.id)).toEqual([sha256hex(a)]);
    expect(sessions[0]).toMatchObject({ ip: '127.0.0.1', userAgent: 'vitest' });

    await mine.auth.sessions.revoke({ sessionId: sha256hex(b) });
    expect((await app.caller({ sessionId: b }).auth.me()).user).toBeNull();
    expect((await app.caller({ sessionId: c }).auth.me()).user?.id).toBe(dev.id);

    expect(await mine.auth.sessions.revokeOthers()).toEqual({ ok: true, ended: 1 });
    expect((await app.caller({ sessionId: c }).auth.me()).user).toBeNull();
    expect((await mine.auth.sessions.list()).sessions.map((s) => s.id)).toEqual([sha256hex(a)]);
  });

  it("other users' sessions cannot be ended: NOT_FOUND, and the session keeps working", async () => {
    const mallory = await developerSession(app);
    const victim = await developerSession(app);
    const err = await mallory.caller.auth.sessions.revoke({ sessionId: sha256hex(victim.sessionId) }).catch((e) => e);
    expect(err.code).toBe('NOT_FOUND');
    expect((await victim.caller.auth.me()).user?.id).toBe(victim.id);
    // Nor through the admin procedures.
    const forbidden = await mallory.caller.admin.users.sessions.revokeAll({ userId: victim.id }).catch((e) => e);
    expect(forbidden.code).toBe('FORBIDDEN');
    expect((await victim.caller.auth.me()).user?.id).toBe(victim.id);
  });

  it("an admin lists and ends a user's sessions", async () => {
    const dev = await insertUser(app);
    const [a, b, c] = [
      await loginAs(app, dev.email, dev.password!),
      await loginAs(app, dev.email, dev.password!),
      await loginAs(app, dev.email, dev.password!),
    ];
    const { sessions } = await admin.caller.admin.users.sessions.list({ userId: dev.id });
    expect(sessions.map((s) => s.id).sort()).toEqual([a, b, c].map(sha256hex).sort());
    expect(sessions.every((s) => !s.current)).toBe(true);

    await admin.caller.admin.users.sessions.revoke({ userId: dev.id, sessionId: sha256hex(a) });
    expect((await app.caller({ sessionId: a }).auth.me()).user).toBeNull();
    // A session id of someone else under this user's id: NOT_FOUND, nothing ended.
    const wrong = await admin.caller.admin.users.sessions.revoke({ userId: dev.id, sessionId: sha256hex(admin.sessionId) }).catch((e) => e);
    expect(wrong.code).toBe('NOT_FOUND');
    expect((await admin.caller.auth.me()).user?.id).toBe(admin.id);

    expect(await admin.caller.admin.users.sessions.revokeAll({ userId: dev.id })).toEqual({ ok: true, ended: 2 });
    expect((await app.caller({ sessionId: b }).auth.me()).user).toBeNull();
    expect((await app.caller({ sessionId: c }).auth.me()).user).toBeNull();
  });

  it("ending sessions is recorded in the user's story and the audit log (who ended how many of whose); a refused or empty end records nothing", async () => {
    const dev = await insertUser(app, { firstName: 'Grace', lastName: 'Hopper' });
    const [a, b, c, d] = [
      await loginAs(app, dev.email, dev.password!),
      await loginAs(app, dev.email, dev.password!),
      await loginAs(app, dev.email, dev.password!),
      await loginAs(app, dev.email, dev.password!),
    ];
    const ended = () =>
      sql<{ actor_id: string; data: { sessions: number; by: string; user: { id: string } } }>(
        app,
        `select actor_id, data from domain_event where type = 'session.ended' and user_id = ? order by id`,
        [dev.id],
      );
    const mine = app.caller({ sessionId: a });
    await mine.auth.sessions.revoke({ sessionId: sha256hex(b) });
    await mine.auth.sessions.revokeOthers();
    await admin.caller.admin.users.sessions.revoke({ userId: dev.id, sessionId: sha256hex(a) });
    // Nothing left to end, a session that is not theirs, a non-admin: no event.
    expect(await admin.caller.admin.users.sessions.revokeAll({ userId: dev.id })).toEqual({ ok: true, ended: 0 });
    await admin.caller.admin.users.sessions.revoke({ userId: dev.id, sessionId: sha256hex(d) }).catch(() => undefined);
    const other = await developerSession(app);
    await other.caller.auth.sessions.revoke({ sessionId: sha256hex(c) }).catch(() => undefined);

    const rows = await ended();
    expect(rows.map((r) => [r.actor_id, r.data.by, r.data.sessions, r.data.user.id])).toEqual([
      [dev.id, 'self', 1, dev.id],
      [dev.id, 'self', 2, dev.id],
      [admin.id, 'admin', 1, dev.id],
    ]);
    const page = await admin.caller.admin.audit.list({ filter: { action: 'session.ended', target: dev.email } });
    expect(page.items.map((i) => i.sentence)).toEqual([
      expect.stringMatching(/ ended a session of Grace Hopper$/),
      'Grace Hopper ended 2 sessions of their own',
      'Grace Hopper ended a session of their own',
    ]);
  });

  it('a WebSocket message after the session was ended is refused', async () => {
    const dev = await insertUser(app);
    const token = await loginAs(app, dev.email, dev.password!);
    const other = await loginAs(app, dev.email, dev.password!);
    const ws = wsClient(app.url, { sessionId: token, origin: app.origin });
    try {
      expect((await ws.trpc.auth.sessions.list.query()).sessions).toHaveLength(2);
      await httpClient(app.url, { sessionId: other, origin: app.origin }).auth.sessions.revokeOthers.mutate();
      const err = await ws.trpc.auth.sessions.list.query().catch((e) => e);
      expect(err.data.code).toBe('UNAUTHORIZED');
      expect((await ws.trpc.auth.me.query()).user).toBeNull();
    } finally {
      await ws.close();
    }
  });

  it('a failed login does not end the session the browser already had', async () => {
    const dev = await insertUser(app);
    const token = await loginAs(app, dev.email, dev.password!);
    const caller = app.caller({ sessionId: token });
    const err = await caller.auth.login({ email: dev.email, password: 'not the password at all' }).catch((e) => e);
    expect(err.code).toBe('UNAUTHORIZED');
    expect(caller.cookies).toEqual([]);
    expect(await sqlCount(app, `select count(*) from user_session where id = ?`, [sha256hex(token)])).toBe(1);
    expect((await app.caller({ sessionId: token }).auth.me()).user?.id).toBe(dev.id);
    // Over HTTP too: no Set-Cookie that would clear it.
    const res = await fetch(`${app.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.origin, cookie: `admit_session=${token}` },
      body: JSON.stringify({ email: dev.email, password: 'still not the password' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect((await app.caller({ sessionId: token }).auth.me()).user?.id).toBe(dev.id);
    // A successful login replaces it.
    await caller.auth.login({ email: dev.email, password: dev.password! });
    expect((await app.caller({ sessionId: token }).auth.me()).user).toBeNull();
  });
});
