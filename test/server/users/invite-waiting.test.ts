import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, sqlCount, type TestApp } from '../../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../../support/smtp.js';
import { adminSession, insertUser, loginAs, uniqueEmail } from '../../support/users.js';
import { createRateLimits } from '../../../server/security/rate-limit.js';

const err = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: any) => e,
  );
const HOUR = 3_600_000;

describe('an invited user who tries to log in: the wrong-password answer, and an "invitation waiting" email', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let org: string;
  beforeAll(async () => {
    // The shipped limits: one "invitation waiting" email per address per hour.
    ({ app, smtp, stop } = await startTestAppWithSmtp({ limits: createRateLimits(1) }));
    admin = await adminSession(app);
    org = (await sql(app, `select id from organisation where is_default`))[0].id;
  });
  afterAll(() => stop());

  async function invite(sendInvite = true) {
    const email = uniqueEmail('invitee');
    const { user } = await admin.caller.admin.users.add({ firstName: 'Ina', lastName: 'Vite', email, organisationId: org, mode: 'invite', sendInvite });
    if (sendInvite) await smtp.waitForMessageTo(email);
    return { id: user.id, email };
  }
  const waitingCount = (email: string) =>
    sqlCount(app, `select count(*) from email_outbox where template = 'invite-waiting' and lower(to_address) = lower(?)`, [email]);
  async function waitingMails(email: string, n: number) {
    return smtp.waitForMessages(n, { match: (m) => m.to.includes(email.toLowerCase()) && /invitation .* is waiting/i.test(m.subject) });
  }
  /** What a wrong password for an existing active user answers: the reference. */
  async function wrongPasswordAnswer() {
    const active = await insertUser(app, { password: 'the right one' });
    const e = await err(app.caller().auth.login({ email: active.email, password: 'not the right one' }));
    return { code: e.code, reason: e.reason, message: e.message };
  }

  it('answers exactly as a wrong password (no ACCOUNT_INVITED), sets no session, and the address is told its invitation is waiting (no new link while the old one works)', async () => {
    const reference = await wrongPasswordAnswer();
    expect(reference).toEqual({ code: 'UNAUTHORIZED', reason: 'INVALID_CREDENTIALS', message: 'Incorrect email or password' });
    const u = await invite();
    const caller = app.caller();
    const e = await err(caller.auth.login({ email: u.email, password: 'anything at all' }));
    expect({ code: e.code, reason: e.reason, message: e.message }).toEqual(reference);
    expect(e.details ?? null).toBeNull();
    expect(caller.cookies.filter((c) => !/max-age=0|expires=thu, 01 jan 1970/i.test(c) && /session/i.test(c))).toEqual([]);
    expect(await sqlCount(app, `select count(*) from user_session where user_id = ?`, [u.id])).toBe(0);

    const [mail] = await waitingMails(u.email, 1);
    expect(mail!.text).toMatch(/Your account has not been set up yet/);
    expect(mail!.text).toMatch(/Use the link in the invitation email we sent you earlier; it works until/);
    expect(mail!.links.some((l) => l.includes('/invite'))).toBe(false);
    // The pending invite is untouched, and no new one was made.
    expect(await sqlCount(app, `select count(*) from auth_token where user_id = ? and purpose = 'invite'`, [u.id])).toBe(1);
    expect(await sqlCount(app, `select count(*) from auth_token where user_id = ? and purpose = 'invite' and revoked_at is null`, [u.id])).toBe(1);
  });

  it('at most one such email per address per hour (the shared PostgreSQL limiter), the answer never changes', async () => {
    const u = await invite();
    const reference = await wrongPasswordAnswer();
    for (let i = 0; i < 3; i++) {
      const e = await err(app.caller().auth.login({ email: u.email, password: `try ${i}` }));
      expect({ code: e.code, reason: e.reason, message: e.message }).toEqual(reference);
    }
    expect(await waitingCount(u.email)).toBe(1);
    expect(await sqlCount(app, `select count(*) from rate_limit where key like ?`, [`inviteWaitingPerEmail:%${u.email.toLowerCase()}%`])).toBe(1);
    app.clock.advance(HOUR + 60_000);
    try {
      await err(app.caller().auth.login({ email: u.email, password: 'an hour later' }));
      expect(await waitingCount(u.email)).toBe(2);
    } finally {
      app.clock.reset();
    }
  });

  it('when the invite has expired, the email carries a fresh link (issued by the invites service, invite.sent without an actor) that works', async () => {
    const u = await invite();
    await sql(app, `update auth_token set expires_at = now() - interval '1 minute' where user_id = ? and purpose = 'invite'`, [u.id]);
    const e = await err(app.caller().auth.login({ email: u.email, password: 'whatever' }));
    expect(e.reason).toBe('INVALID_CREDENTIALS');
    const [mail] = await waitingMails(u.email, 1);
    expect(mail!.text).toMatch(/Your earlier invitation link has expired, so here is a new one/);
    const link = mail!.links.find((l) => l.includes('/invite#token='));
    expect(link).toBeTruthy();
    const tokens = await sql(
      app,
      `select created_by_id, outbox_id, expires_at > now() as valid from auth_token where user_id = ? and purpose = 'invite' order by created_at`,
      [u.id],
    );
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toMatchObject({ created_by_id: null, valid: true });
    expect(tokens[1].outbox_id).not.toBeNull();
    const [ev] = await sql(app, `select actor_id, data from domain_event where type = 'invite.sent' and user_id = ? order by id desc limit 1`, [u.id]);
    expect(ev.actor_id).toBeNull();
    expect(ev.data.user.id).toBe(u.id);

    const token = decodeURIComponent(new URL(link!).hash.replace('#token=', ''));
    await app.caller().invite.accept({ token, firstName: 'Ina', lastName: 'Vite', password: 'my own passphrase', confirmPassword: 'my own passphrase' });
    expect(await loginAs(app, u.email, 'my own passphrase')).toBeTruthy();
  });

  it('nothing is waiting (no invite sent, or the admin revoked it): the same answer and no email', async () => {
    const notSent = await invite(false);
    const revoked = await invite();
    await admin.caller.admin.invites.revoke({ userId: revoked.id });
    const reference = await wrongPasswordAnswer();
    for (const u of [notSent, revoked]) {
      const e = await err(app.caller().auth.login({ email: u.email, password: 'whatever' }));
      expect({ code: e.code, reason: e.reason, message: e.message }).toEqual(reference);
      expect(await waitingCount(u.email)).toBe(0);
    }
  });

  it('an invited user whose password was set some other way is still answered as a wrong password, even with that password', async () => {
    const u = await insertUser(app, { status: 'invited', password: 'a known password' });
    const e = await err(app.caller().auth.login({ email: u.email, password: 'a known password' }));
    expect(e.reason).toBe('INVALID_CREDENTIALS');
    expect(e.message).toBe('Incorrect email or password');
  });

  it('an unknown address gets the same answer and no email', async () => {
    const email = uniqueEmail('nobody');
    const e = await err(app.caller().auth.login({ email, password: 'whatever' }));
    expect({ code: e.code, reason: e.reason, message: e.message }).toEqual(await wrongPasswordAnswer());
    expect(await sqlCount(app, `select count(*) from email_outbox where lower(to_address) = lower(?)`, [email])).toBe(0);
  });
});
