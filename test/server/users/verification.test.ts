import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { sessionIdFrom, sql, sqlCount, type TestApp } from '../../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../../support/smtp.js';
import { adminSession, insertUser, uniqueEmail } from '../../support/users.js';
import { relaxBotChecks, verificationLink } from '../../support/verify.js';
import { createRateLimits } from '../../../server/security/rate-limit.js';
import { writeSetting } from '../../../server/settings/settings.repository.js';
import { purgeExpiredUnverified } from '../../../server/users/verification.service.js';

const PASSWORD = 'a fine passphrase';
let ipCounter = 0;
/** Each call from its own address, so the real per-IP limits of one test do not reach another. */
const freshIp = () => `10.7.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;
const form = (email: string) => ({ firstName: 'Vera', lastName: 'Verify', email, password: PASSWORD, confirmPassword: PASSWORD });
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: any) => e,
  );

describe('email verification', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp({ limits: createRateLimits(1) }));
    admin = await adminSession(app);
    await relaxBotChecks(app);
  });
  afterAll(() => stop());
  beforeEach(async () => {
    app.clock.reset();
    const em = app.services.em();
    for (const [k, v] of Object.entries({ autoApprove: false, autoApproveDomains: [], requireEmailVerification: true, unverifiedLifetimeDays: 7 }))
      await writeSetting(em, k, v);
  });

  async function signUp(email: string) {
    return app.caller({ ip: freshIp() }).auth.signup(form(email));
  }
  const statusOf = async (email: string) => (await sql(app, `select status from app_user where lower(email) = lower(?)`, [email]))[0]?.status;

  it('is on by default, and a new registration waits as unverified with only the verification email sent', async () => {
    expect((await admin.caller.admin.settings.general.get()).requireEmailVerification).toBe(true);
    const email = uniqueEmail('order');
    expect(await signUp(email)).toEqual({ status: 'unverified' });
    const [u] = await sql(app, `select id, status, email_verified_at from app_user where email = ?`, [email]);
    expect(u).toMatchObject({ status: 'unverified', email_verified_at: null });
    const { url, token } = await verificationLink(app, email, { smtp });
    // The token travels in the fragment (never sent to a server), 256 bits, stored only as SHA-256 for 24 h.
    expect(url).toBe(`${app.services.publicUrl()}/verify-email#token=${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [t] = await sql(app, `select token_hash, expires_at, created_at from auth_token where user_id = ? and purpose = 'email_verify'`, [u.id]);
    expect(t.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(new Date(t.expires_at).getTime() - new Date(t.created_at).getTime()).toBe(24 * 3_600_000);
    const templates = await sql(app, `select template from email_outbox where user_id = ? order by id`, [u.id]);
    expect(templates.map((r) => r.template)).toEqual(['verify-email']);
    // No admin is asked to decide on an unproven address.
    expect(await sqlCount(app, `select count(*) from email_outbox where template = 'admin-new-registration' and variables->>'userEmail' = ?`, [email])).toBe(0);
    // Its own tab, not the pending queue.
    expect((await admin.caller.admin.users.list({ status: 'unverified' })).items.map((r) => r.email)).toContain(email);
    expect((await admin.caller.admin.users.bulk.pending({ sort: 'oldest', search: email, limit: 10 })).items).toEqual([]);
    expect((await admin.caller.admin.users.stats()).byStatus.unverified).toBeGreaterThan(0);
  });

  it('auto-approve off: verifying makes the registration pending, tells the admins, appends user.email_verified', async () => {
    const email = uniqueEmail('off');
    await signUp(email);
    const { token } = await verificationLink(app, email, { smtp });
    const caller = app.caller({ ip: freshIp() });
    expect(await caller.auth.verifyEmail.confirm({ token })).toEqual({ status: 'pending', signedIn: false });
    expect(sessionIdFrom(caller.cookies)).toBeNull();
    const [u] = await sql(app, `select id, status, email_verified_at from app_user where email = ?`, [email]);
    expect(u.status).toBe('pending');
    expect(u.email_verified_at).not.toBeNull();
    expect((await sql(app, `select template from email_outbox where user_id = ? order by id`, [u.id])).map((r) => r.template)).toEqual([
      'verify-email',
      'registration-received',
    ]);
    expect(await sqlCount(app, `select count(*) from email_outbox where template = 'admin-new-registration' and variables->>'userEmail' = ?`, [email])).toBe(1);
    const [ev] = await sql(app, `select actor_id, data from domain_event where user_id = ? and type = 'user.email_verified'`, [u.id]);
    expect(ev).toMatchObject({ actor_id: u.id, data: { autoApproved: false, user: { id: u.id, status: 'pending' } } });
  });

  it('auto-approve on: verifying activates the account and signs the developer in', async () => {
    await writeSetting(app.services.em(), 'autoApprove', true);
    const email = uniqueEmail('on');
    // Even with auto-approve on, nothing is active before verification.
    expect(await signUp(email)).toEqual({ status: 'unverified' });
    const login = await errorOf(app.caller({ ip: freshIp() }).auth.login({ email, password: PASSWORD }));
    expect(login.reason).toBe('ACCOUNT_UNVERIFIED');
    const { token } = await verificationLink(app, email, { smtp });
    const caller = app.caller({ ip: freshIp() });
    expect(await caller.auth.verifyEmail.confirm({ token })).toEqual({ status: 'active', signedIn: true });
    const sessionId = sessionIdFrom(caller.cookies);
    expect(sessionId).not.toBeNull();
    expect((await app.caller({ sessionId }).auth.me()).user?.email).toBe(email);
    expect(await statusOf(email)).toBe('active');
    const [u] = await sql(app, `select id from app_user where email = ?`, [email]);
    expect((await sql(app, `select template from email_outbox where user_id = ? order by id`, [u.id])).map((r) => r.template)).toEqual([
      'verify-email',
      'welcome',
    ]);
  });

  it('a listed domain approves only after the owner proved the address', async () => {
    const domain = `partner-${Date.now().toString(36)}.example`;
    await writeSetting(app.services.em(), 'autoApproveDomains', [domain]);
    const email = `ceo.${Date.now().toString(36)}@${domain}`;
    expect(await signUp(email)).toEqual({ status: 'unverified' });
    expect(await statusOf(email)).toBe('unverified');
    const login = await errorOf(app.caller({ ip: freshIp() }).auth.login({ email, password: PASSWORD }));
    expect(login.reason).toBe('ACCOUNT_UNVERIFIED');
    const { token } = await verificationLink(app, email, { smtp });
    expect((await app.caller({ ip: freshIp() }).auth.verifyEmail.confirm({ token })).status).toBe('active');
    expect(await statusOf(email)).toBe('active');
    // An address outside the list is verified into the pending queue.
    const other = uniqueEmail('outside');
    await signUp(other);
    const link = await verificationLink(app, other, { smtp });
    expect((await app.caller({ ip: freshIp() }).auth.verifyEmail.confirm({ token: link.token })).status).toBe('pending');
  });

  it('with the setting off, the policy decides at once as before', async () => {
    await writeSetting(app.services.em(), 'requireEmailVerification', false);
    const email = uniqueEmail('nover');
    expect(await signUp(email)).toEqual({ status: 'pending' });
    expect(await statusOf(email)).toBe('pending');
    expect(await sqlCount(app, `select count(*) from email_outbox where template = 'verify-email' and lower(to_address) = lower(?)`, [email])).toBe(0);
  });

  it('inspecting the link verifies nothing; the link works once; wrong and altered tokens are refused', async () => {
    const email = uniqueEmail('once');
    await signUp(email);
    const { token } = await verificationLink(app, email, { smtp });
    // What a mail scanner or the page's first load can do: inspect, any number of times.
    for (let i = 0; i < 3; i++) expect(await app.caller({ ip: freshIp() }).auth.verifyEmail.check({ token })).toEqual({ email });
    expect(await statusOf(email)).toBe('unverified');
    expect(
      await sqlCount(app, `select count(*) from auth_token where token_hash = ? and used_at is not null`, [createHash('sha256').update(token).digest('hex')]),
    ).toBe(0);

    const altered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    for (const bad of [altered, 'x'.repeat(43)]) {
      const e = await errorOf(app.caller({ ip: freshIp() }).auth.verifyEmail.confirm({ token: bad }));
      expect(e.reason).toBe('TOKEN_INVALID');
    }
    expect((await errorOf(app.caller({ ip: freshIp() }).auth.verifyEmail.confirm({ token: 'short' }))).code).toBe('BAD_REQUEST');
    expect(await statusOf(email)).toBe('unverified');

    // Two presses at once: exactly one verifies.
    const results = await Promise.allSettled([0, 1, 2].map(() => app.caller({ ip: freshIp() }).auth.verifyEmail.confirm({ token })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason.reason).toBe('TOKEN_USED');
    expect(await statusOf(email)).toBe('pending');
    const [u] = await sql(app, `select id from app_user where email = ?`, [email]);
    expect(await sqlCount(app, `select count(*) from domain_event where user_id = ? and type = 'user.email_verified'`, [u.id])).toBe(1);
    expect((await errorOf(app.caller({ ip: freshIp() }).auth.verifyEmail.check({ token }))).reason).toBe('TOKEN_USED');
  });

  it('a link expires after 24 hours by the clock; a new link replaces the old one', async () => {
    const email = uniqueEmail('expiry');
    await signUp(email);
    const first = await verificationLink(app, email, { smtp });
    app.clock.advance(24 * 3_600_000 + 1000);
    expect((await errorOf(app.caller({ ip: freshIp() }).auth.verifyEmail.confirm({ token: first.token }))).reason).toBe('TOKEN_EXPIRED');
    expect(await statusOf(email)).toBe('unverified');
    // Ask again (as the login page offers): a fresh link arrives, and the old one is revoked.
    await app.caller({ ip: freshIp() }).auth.verifyEmail.resend({ email });
    const second = await verificationLink(app, email, { smtp, after: first.count });
    expect(second.token).not.toBe(first.token);
    expect((await errorOf(app.caller({ ip: freshIp() }).auth.verifyEmail.confirm({ token: first.token }))).reason).toMatch(/TOKEN_(EXPIRED|REVOKED)/);
    expect((await app.caller({ ip: freshIp() }).auth.verifyEmail.confirm({ token: second.token })).status).toBe('pending');
  });

  it('resend answers the same for any address and is rate limited per address', async () => {
    const email = uniqueEmail('resend');
    await signUp(email);
    const { count } = await verificationLink(app, email, { smtp });
    const other = await insertUser(app, { status: 'active' });
    expect(await app.caller({ ip: freshIp() }).auth.verifyEmail.resend({ email: other.email })).toEqual({ ok: true });
    expect(await app.caller({ ip: freshIp() }).auth.verifyEmail.resend({ email: uniqueEmail('nobody') })).toEqual({ ok: true });
    expect(await sqlCount(app, `select count(*) from email_outbox where template = 'verify-email' and to_address = ?`, [other.email])).toBe(0);
    for (let i = 0; i < 3; i++) expect(await app.caller({ ip: freshIp() }).auth.verifyEmail.resend({ email })).toEqual({ ok: true });
    const limited = await errorOf(app.caller({ ip: freshIp() }).auth.verifyEmail.resend({ email: email.toUpperCase() }));
    expect(limited.code).toBe('TOO_MANY_REQUESTS');
    expect(await sqlCount(app, `select count(*) from rate_limit where key = ?`, [`verifyResendPerEmail:${email.toLowerCase()}`])).toBe(1);
    expect(await sqlCount(app, `select count(*) from email_outbox where template = 'verify-email' and to_address = ?`, [email])).toBe(count + 3);
  });

  it('an unverified user who proves the password is told to verify; a wrong password still gets INVALID_CREDENTIALS', async () => {
    const email = uniqueEmail('login');
    await signUp(email);
    const caller = app.caller({ ip: freshIp() });
    const err = await errorOf(caller.auth.login({ email, password: PASSWORD }));
    expect(err.code).toBe('FORBIDDEN');
    expect(err.reason).toBe('ACCOUNT_UNVERIFIED');
    expect(err.message).toMatch(/verify your email/i);
    expect(sessionIdFrom(caller.cookies)).toBeNull();
    expect((await errorOf(app.caller({ ip: freshIp() }).auth.login({ email, password: 'not the password' }))).reason).toBe('INVALID_CREDENTIALS');
  });

  it('a taken address answers exactly like a new one', async () => {
    const owner = await insertUser(app, { status: 'active' });
    expect(await signUp(owner.email)).toEqual(await signUp(uniqueEmail('new')));
    expect(await statusOf(owner.email)).toBe('active');
  });

  it('the admin can delete an unverified registration', async () => {
    const email = uniqueEmail('del');
    await signUp(email);
    const [u] = await sql(app, `select id, version from app_user where email = ?`, [email]);
    await admin.caller.admin.users.delete({ userId: u.id, expectedVersion: u.version });
    expect(await statusOf(email)).toBeUndefined();
  });

  it('expired unverified registrations are purged (by the lifetime setting), with user.deleted events; others stay', async () => {
    await writeSetting(app.services.em(), 'unverifiedLifetimeDays', 3);
    const old = uniqueEmail('stale');
    const recent = uniqueEmail('recent');
    await signUp(old);
    await signUp(recent);
    await app.services.em().execute(`update app_user set created_at = created_at - interval '4 days' where email = ?`, [old]);
    const pendingOld = await insertUser(app, { status: 'pending' });
    await app.services.em().execute(`update app_user set created_at = created_at - interval '30 days' where id = ?`, [pendingOld.id]);
    const [o] = await sql(app, `select id from app_user where email = ?`, [old]);

    const n = await purgeExpiredUnverified(app.services, app.clock.now());
    expect(n).toBeGreaterThanOrEqual(1);
    expect(await statusOf(old)).toBeUndefined();
    expect(await statusOf(recent)).toBe('unverified');
    expect(await statusOf(pendingOld.email)).toBe('pending');
    const [ev] = await sql(app, `select actor_id, data from domain_event where user_id = ? and type = 'user.deleted'`, [o.id]);
    expect(ev.actor_id).toBeNull();
    expect(ev.data.user.status).toBe('unverified');
    // By the test clock: 3 more days and the recent one goes too.
    expect(await purgeExpiredUnverified(app.services, new Date(app.clock.now().getTime() + 3 * 86_400_000 + 60_000))).toBeGreaterThanOrEqual(1);
    expect(await statusOf(recent)).toBeUndefined();
  });

  it('an invitee is verified by accepting the invite', async () => {
    const email = uniqueEmail('invitee');
    const added = await admin.caller.admin.users.add({
      mode: 'invite',
      firstName: 'Ina',
      lastName: 'Vite',
      email,
      organisationId: (await sql(app, `select id from organisation where is_default`))[0].id,
      sendInvite: true,
    });
    const userId = added.user.id;
    expect((await sql(app, `select email_verified_at from app_user where id = ?`, [userId]))[0].email_verified_at).toBeNull();
    const m = await smtp.waitForMessageTo(email);
    const link = m.links.find((l) => /\/invite[?#]token=/.test(l))!;
    const token = /token=([A-Za-z0-9_-]+)/.exec(link)![1]!;
    await app.caller({ ip: freshIp() }).invite.accept({ token, firstName: 'Ina', lastName: 'Vite', password: PASSWORD, confirmPassword: PASSWORD });
    const [u] = await sql(app, `select status, email_verified_at from app_user where id = ?`, [userId]);
    expect(u.status).toBe('active');
    expect(u.email_verified_at).not.toBeNull();
  });
});
