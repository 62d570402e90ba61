import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sessionIdFrom, sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, developerSession, insertUser, loginAs, uniqueEmail } from '../../support/users.js';
import { httpClient } from '../../support/http.js';
import { latestInviteToken } from './support.js';
import { createRateLimits } from '../../../server/security/rate-limit.js';
import { sessionIdOf } from '../../../server/sessions/session-store.js';

const err = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: any) => e,
  );
const DAY = 24 * 60 * 60_000;

describe('invites', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let defaultOrg: string;
  beforeAll(async () => {
    // The worker is off: queued emails keep their link, so tests can read the token from the outbox row.
    app = await startTestApp({ env: { MAIL_WORKER: 'false' } });
    admin = await adminSession(app);
    defaultOrg = (await sql(app, `select id from organisation where is_default`))[0].id;
  });
  afterEach(() => app.clock.reset());
  afterAll(() => app.stop());

  async function invitedUser(opts: { send?: boolean } = {}) {
    const email = uniqueEmail('invitee');
    const { user } = await admin.caller.admin.users.add({
      firstName: 'Ivy',
      lastName: 'Invitee',
      email,
      organisationId: defaultOrg,
      mode: 'invite',
      sendInvite: opts.send ?? true,
    });
    return { ...user, token: opts.send === false ? null : await latestInviteToken(app, user.id) };
  }
  const acceptInput = (token: string, password = 'invitee password') => ({ token, firstName: 'Ivy', lastName: 'Invitee', password, confirmPassword: password });

  it('send: ≥128-bit token, only its SHA-256 stored, expiry from the setting, link to the registration form, outbox id on the token', async () => {
    const u = await invitedUser({ send: false });
    const before = Date.now();
    const { invite } = await admin.caller.admin.invites.send({ userId: u.id });
    const token = await latestInviteToken(app, u.id);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);
    const [row] = await sql(app, `select * from auth_token where user_id = ?`, [u.id]);
    expect(row.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token);
    const expires = new Date(row.expires_at).getTime();
    expect(expires).toBeGreaterThanOrEqual(before + 7 * DAY - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 7 * DAY + 1000);
    const [mail] = await sql(app, `select id, to_address, variables from email_outbox where template = 'invite' and user_id = ?`, [u.id]);
    expect(mail.to_address).toBe(u.email);
    expect(mail.variables.acceptUrl).toBe(`${app.services.publicUrl()}/invite#token=${token}`);
    expect(mail.variables.inviterName).toBe('Test User');
    expect(Number(row.outbox_id)).toBe(Number(mail.id));
    expect(invite).toMatchObject({ state: 'pending', sentBy: { id: admin.id, name: 'Test User' }, delivery: { status: 'pending' } });
    const [ev] = await sql(app, `select actor_id, data from domain_event where type = 'invite.sent' and user_id = ?`, [u.id]);
    expect(ev.actor_id).toBe(admin.id);
    expect(ev.data.tokenId).toBe(row.id);
  });

  it('honours the invite lifetime setting', async () => {
    await sql(
      app,
      `insert into setting (key, value, updated_at) values ('inviteLifetimeDays', '2'::jsonb, now()) on conflict (key) do update set value = excluded.value`,
    );
    try {
      const u = await invitedUser();
      const { latest } = await admin.caller.admin.invites.forUser({ userId: u.id });
      const lifetime = new Date(latest!.expiresAt).getTime() - new Date(latest!.sentAt).getTime();
      expect(lifetime).toBe(2 * DAY);
      app.clock.advance(2 * DAY - 60_000);
      await app.caller().invite.inspect({ token: u.token! });
      app.clock.advance(2 * 60_000);
      expect((await err(app.caller().invite.inspect({ token: u.token! }))).reason).toBe('TOKEN_EXPIRED');
    } finally {
      await sql(app, `delete from setting where key = 'inviteLifetimeDays'`);
    }
  });

  it('is offered only while the user has no password', async () => {
    const active = await insertUser(app);
    const e = await err(admin.caller.admin.invites.send({ userId: active.id }));
    expect(e.reason).toBe('INVITE_NOT_ALLOWED');
    expect((await admin.caller.admin.invites.forUser({ userId: active.id })).canInvite).toBe(false);
    const u = await invitedUser({ send: false });
    expect((await admin.caller.admin.invites.forUser({ userId: u.id })).canInvite).toBe(true);
    expect(await sqlCount(app, `select count(*) from auth_token where user_id = ?`, [active.id])).toBe(0);
  });

  it('send while one is pending is refused (two admins clicking at once send one invite)', async () => {
    const u = await invitedUser({ send: false });
    const other = await adminSession(app);
    const results = await Promise.allSettled([admin.caller.admin.invites.send({ userId: u.id }), other.caller.admin.invites.send({ userId: u.id })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.reason).toBe('INVITE_PENDING');
    expect(await sqlCount(app, `select count(*) from auth_token where user_id = ?`, [u.id])).toBe(1);
    expect(await sqlCount(app, `select count(*) from email_outbox where user_id = ?`, [u.id])).toBe(1);
  });

  it('inspect: prefill data for the form, and the first opening is recorded once', async () => {
    const u = await invitedUser();
    const info = await app.caller().invite.inspect({ token: u.token! });
    expect(info).toMatchObject({ email: u.email, firstName: 'Ivy', lastName: 'Invitee' });
    const opened = (await admin.caller.admin.invites.forUser({ userId: u.id })).latest!.openedAt;
    expect(opened).not.toBeNull();
    app.clock.advance(60 * 60_000);
    await app.caller().invite.inspect({ token: u.token! });
    expect((await admin.caller.admin.invites.forUser({ userId: u.id })).latest!.openedAt).toBe(opened);
  });

  it('accept: sets the password (and a corrected name), activates, logs in, appends invite.accepted, queues the welcome email', async () => {
    const u = await invitedUser();
    const caller = app.caller();
    await caller.invite.accept({ token: u.token!, firstName: 'Ivy-Rose', lastName: 'Invitee', password: 'chosen by ivy', confirmPassword: 'chosen by ivy' });
    const sessionId = sessionIdFrom(caller.cookies);
    expect(sessionId).toBeTruthy();
    const me = await app.caller({ sessionId }).auth.me();
    expect(me.user).toMatchObject({ id: u.id, email: u.email, firstName: 'Ivy-Rose', status: 'active', mustChangePassword: false });
    await loginAs(app, u.email, 'chosen by ivy');
    const [ev] = await sql(app, `select actor_id, data from domain_event where type = 'invite.accepted' and user_id = ?`, [u.id]);
    expect(ev.actor_id).toBe(u.id);
    expect(ev.data.user).toMatchObject({ status: 'active', firstName: 'Ivy-Rose' });
    expect(await sqlCount(app, `select count(*) from email_outbox where template = 'welcome' and user_id = ?`, [u.id])).toBe(1);
    const { latest, canInvite } = await admin.caller.admin.invites.forUser({ userId: u.id });
    expect(latest!.state).toBe('accepted');
    expect(latest!.acceptedAt).not.toBeNull();
    expect(canInvite).toBe(false);
  });

  it('the link works once: a second accept and a second inspect say it was used', async () => {
    const u = await invitedUser();
    await app.caller().invite.accept(acceptInput(u.token!));
    const again = await err(app.caller().invite.accept(acceptInput(u.token!, 'another password')));
    expect(again.reason).toBe('TOKEN_USED');
    expect((await err(app.caller().invite.inspect({ token: u.token! }))).reason).toBe('TOKEN_USED');
    await loginAs(app, u.email, 'invitee password');
  });

  it('two tabs accepting one link at once: exactly one wins, the other is told, one password set', async () => {
    for (let i = 0; i < 3; i++) {
      const u = await invitedUser();
      const tabs = [app.caller(), app.caller()];
      const results = await Promise.allSettled([
        tabs[0]!.invite.accept(acceptInput(u.token!, 'password of tab A')),
        tabs[1]!.invite.accept(acceptInput(u.token!, 'password of tab B')),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const winner = results[0].status === 'fulfilled' ? 0 : 1;
      expect((results[1 - winner] as PromiseRejectedResult).reason.reason).toBe('TOKEN_USED');
      expect(tabs[1 - winner]!.cookies.filter((c) => sessionIdFrom(c))).toHaveLength(0);
      await loginAs(app, u.email, winner === 0 ? 'password of tab A' : 'password of tab B');
      expect(await sqlCount(app, `select count(*) from domain_event where type = 'invite.accepted' and user_id = ?`, [u.id])).toBe(1);
      expect(await sqlCount(app, `select count(*) from user_session where user_id = ?`, [u.id])).toBe(2);
    }
  });

  it('resend issues a new token and voids the old one', async () => {
    const u = await invitedUser();
    const { invite } = await admin.caller.admin.invites.resend({ userId: u.id });
    const fresh = await latestInviteToken(app, u.id);
    expect(fresh).not.toBe(u.token);
    expect(invite.state).toBe('pending');
    expect((await err(app.caller().invite.inspect({ token: u.token! }))).reason).toBe('TOKEN_REVOKED');
    expect((await err(app.caller().invite.accept(acceptInput(u.token!)))).reason).toBe('TOKEN_REVOKED');
    await app.caller().invite.accept(acceptInput(fresh));
    const { history } = await admin.caller.admin.invites.forUser({ userId: u.id });
    expect(history.map((h) => h.state)).toEqual(['accepted', 'revoked']);
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'invite.resent' and user_id = ?`, [u.id])).toBe(1);
  });

  it('revoke voids the pending link; revoking again is refused', async () => {
    const u = await invitedUser();
    const { invite } = await admin.caller.admin.invites.revoke({ userId: u.id });
    expect(invite.state).toBe('revoked');
    expect((await err(app.caller().invite.accept(acceptInput(u.token!)))).reason).toBe('TOKEN_REVOKED');
    expect((await sql(app, `select status, password_hash from app_user where id = ?`, [u.id]))[0]).toEqual({ status: 'invited', password_hash: null });
    expect((await err(admin.caller.admin.invites.revoke({ userId: u.id }))).code).toBe('CONFLICT');
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'invite.revoked' and user_id = ? and actor_id = ?`, [u.id, admin.id])).toBe(1);
    // After a revoke, a new invite can be sent.
    await admin.caller.admin.invites.send({ userId: u.id });
  });

  it('accept racing a revoke: either accepted (and the revoke is told) or revoked (and the invitee is told)', async () => {
    for (let i = 0; i < 3; i++) {
      const u = await invitedUser();
      const [acc, rev] = await Promise.allSettled([app.caller().invite.accept(acceptInput(u.token!)), admin.caller.admin.invites.revoke({ userId: u.id })]);
      const [row] = await sql(app, `select status from app_user where id = ?`, [u.id]);
      if (acc.status === 'fulfilled') {
        expect(rev.status).toBe('rejected');
        expect(row.status).toBe('active');
      } else {
        expect(rev.status).toBe('fulfilled');
        expect(acc.reason.reason).toBe('TOKEN_REVOKED');
        expect(row.status).toBe('invited');
      }
    }
  });

  it('expiry (moving the clock, no sleeping): the link tells the invitee to ask for a new one; the admin sees "expired"', async () => {
    const u = await invitedUser();
    app.clock.advance(7 * DAY - 60_000);
    await app.caller().invite.inspect({ token: u.token! });
    app.clock.advance(2 * 60_000);
    const e = await err(app.caller().invite.inspect({ token: u.token! }));
    expect(e.reason).toBe('TOKEN_EXPIRED');
    expect(e.message).toMatch(/ask .* new one/i);
    expect((await err(app.caller().invite.accept(acceptInput(u.token!)))).reason).toBe('TOKEN_EXPIRED');
    expect((await sql(app, `select status from app_user where id = ?`, [u.id]))[0].status).toBe('invited');
    // A week later the admin's session from the start would have ended (idle timeout 24 h): a fresh login.
    const later = await adminSession(app);
    const state = await later.caller.admin.invites.forUser({ userId: u.id });
    expect(state.latest!.state).toBe('expired');
    // Nothing is pending any more, so a new invite can be sent, and it works.
    await later.caller.admin.invites.send({ userId: u.id });
    await app.caller().invite.accept(acceptInput(await latestInviteToken(app, u.id)));
  });

  it('unknown, malformed and hostile tokens get clear answers and change nothing', async () => {
    const u = await invitedUser();
    const unknown = await err(app.caller().invite.inspect({ token: 'A'.repeat(43) }));
    expect(unknown.reason).toBe('TOKEN_INVALID');
    expect(unknown.code).toBe('NOT_FOUND');
    for (const token of ['', 'short', 'x'.repeat(129), "' or '1'='1", `${u.token}%00`, `${u.token}\n`, u.token!.slice(0, -1) + '/', { $ne: null }]) {
      const e = await err((app.caller().invite.inspect as any)({ token }));
      expect(e?.code, JSON.stringify(token)).toBe('BAD_REQUEST');
    }
    // The hash of the hash, or the stored hash itself, is not a token.
    const [row] = await sql(app, `select token_hash from auth_token where user_id = ?`, [u.id]);
    expect((await err(app.caller().invite.accept(acceptInput(row.token_hash)))).reason).toBe('TOKEN_INVALID');
    // Bad form input is refused before the token is claimed: the link still works afterwards.
    for (const bad of [
      { ...acceptInput(u.token!), confirmPassword: 'different one' },
      { ...acceptInput(u.token!, 'short') },
      { ...acceptInput(u.token!), firstName: 'Ivy\r\nBcc: x@example.test' },
      { ...acceptInput(u.token!), lastName: '' },
      { ...acceptInput(u.token!, 'x'.repeat(257)) },
    ]) {
      expect((await err(app.caller().invite.accept(bad))).code).toBe('BAD_REQUEST');
    }
    await app.caller().invite.accept(acceptInput(u.token!));
  });

  it('the invitee cannot change the email: accept takes none, and extra fields are ignored', async () => {
    const u = await invitedUser();
    await (app.caller().invite.accept as any)({ ...acceptInput(u.token!), email: 'attacker@example.test', role: 'admin', status: 'active' });
    const [row] = await sql(app, `select email, role from app_user where id = ?`, [u.id]);
    expect(row).toEqual({ email: u.email, role: 'developer' });
  });

  it('accepting replaces whatever session the browser had', async () => {
    const someone = await developerSession(app);
    const u = await invitedUser();
    const caller = app.caller({ sessionId: someone.sessionId });
    await caller.invite.accept(acceptInput(u.token!));
    expect(await sqlCount(app, `select count(*) from user_session where id = ?`, [sessionIdOf(someone.sessionId)])).toBe(0);
    expect((await app.caller({ sessionId: sessionIdFrom(caller.cookies) }).auth.me()).user?.id).toBe(u.id);
  });

  it('deleting the invited user makes the link invalid', async () => {
    const u = await invitedUser();
    await sql(app, `delete from app_user where id = ?`, [u.id]);
    expect((await err(app.caller().invite.inspect({ token: u.token! }))).reason).toBe('TOKEN_INVALID');
  });

  it('accept sets the session cookie over HTTP (HttpOnly, SameSite=Lax)', async () => {
    const u = await invitedUser();
    const res = await fetch(`${app.url}/trpc/invite.accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: app.origin },
      body: JSON.stringify(acceptInput(u.token!)),
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('admit_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const me = await httpClient(app.url, { sessionId: sessionIdFrom(cookie), origin: app.origin }).auth.me.query();
    expect(me.user?.id).toBe(u.id);
  });

  it('admin.invites.* refuse developers and anonymous callers', async () => {
    const dev = await developerSession(app);
    const u = await invitedUser({ send: false });
    for (const c of [dev.caller, app.caller()]) {
      for (const call of [
        () => c.admin.invites.send({ userId: u.id }),
        () => c.admin.invites.resend({ userId: u.id }),
        () => c.admin.invites.revoke({ userId: u.id }),
        () => c.admin.invites.forUser({ userId: u.id }),
      ]) {
        expect((await err(call())).code).toBe('FORBIDDEN');
      }
    }
    expect(await sqlCount(app, `select count(*) from auth_token where user_id = ?`, [u.id])).toBe(0);
  });

  it('forUser of an unknown user is NOT_FOUND', async () => {
    expect((await err(admin.caller.admin.invites.forUser({ userId: '00000000-0000-4000-8000-000000000000' }))).code).toBe('NOT_FOUND');
  });
});

describe('invite links are rate limited per IP', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { MAIL_WORKER: 'false' }, limits: createRateLimits(1) });
  });
  afterAll(() => app.stop());

  it('guessing tokens from one address is cut off before any lookup; other addresses are unaffected', async () => {
    const limit = app.services.limits.invitePerIp.limit;
    for (let i = 0; i < limit; i++) {
      expect((await err(app.caller({ ip: '203.0.113.9' }).invite.inspect({ token: `guess${i}`.padEnd(43, 'x') }))).reason).toBe('TOKEN_INVALID');
    }
    const e = await err(app.caller({ ip: '203.0.113.9' }).invite.inspect({ token: 'y'.repeat(43) }));
    expect(e.code).toBe('TOO_MANY_REQUESTS');
    const a = await err(
      app
        .caller({ ip: '203.0.113.9' })
        .invite.accept({ token: 'z'.repeat(43), firstName: 'A', lastName: 'B', password: 'whatever 1', confirmPassword: 'whatever 1' }),
    );
    expect(a.code).toBe('TOO_MANY_REQUESTS');
    expect((await err(app.caller({ ip: '198.51.100.7' }).invite.inspect({ token: 'y'.repeat(43) }))).reason).toBe('TOKEN_INVALID');
  });
});
