import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sessionIdFrom, sql, sqlCount, type TestApp } from '../../support/app.js';
import { adminSession, insertUser, uniqueEmail } from '../../support/users.js';
import { setRequireEmailVerification } from '../../support/verify.js';

const PASSWORD = 'a fine passphrase';

describe('login refusals by account status', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
    await setRequireEmailVerification(app, false); // not what this file tests
  });
  afterAll(() => app.stop());

  async function attempt(email: string, password = PASSWORD) {
    const caller = app.caller();
    const err = await caller.auth.login({ email, password }).then(
      () => null,
      (e: any) => e,
    );
    return { err, cookie: sessionIdFrom(caller.cookies) };
  }

  async function noSessions(email: string) {
    return sqlCount(app, `select count(*) from user_session s join app_user u on u.id = s.user_id where lower(u.email) = lower(?)`, [email]);
  }

  it('a self-registered user waiting for approval is told so and gets no session', async () => {
    const email = uniqueEmail('pending');
    await app.caller().auth.signup({ firstName: 'Pat', lastName: 'Pending', email, password: PASSWORD, confirmPassword: PASSWORD });
    const { err, cookie } = await attempt(email);
    expect(err.code).toBe('FORBIDDEN');
    expect(err.reason).toBe('ACCOUNT_PENDING');
    expect(err.message).toMatch(/awaiting approval/i);
    expect(cookie).toBeNull();
    expect(await noSessions(email)).toBe(0);
  });

  it('a rejected user is told the registration was declined, with the reason the admin gave', async () => {
    const u = await insertUser(app, { status: 'pending', password: PASSWORD });
    const [{ version }] = await sql(app, `select version from app_user where id = ?`, [u.id]);
    await admin.caller.admin.users.reject({ userId: u.id, expectedVersion: version, reason: 'We only accept company addresses.' });
    const { err, cookie } = await attempt(u.email);
    expect(err.code).toBe('FORBIDDEN');
    expect(err.reason).toBe('ACCOUNT_REJECTED');
    expect(err.message).toBe('Your registration was declined. Reason: We only accept company addresses.');
    expect(err.details).toEqual({ rejectionReason: 'We only accept company addresses.' });
    expect(cookie).toBeNull();
    expect(await noSessions(u.email)).toBe(0);
  });

  it('a user rejected without a reason is told only that it was declined', async () => {
    const u = await insertUser(app, { status: 'pending', password: PASSWORD });
    await admin.caller.admin.users.reject({ userId: u.id, expectedVersion: 1 });
    const { err, cookie } = await attempt(u.email);
    expect(err.reason).toBe('ACCOUNT_REJECTED');
    expect(err.message).toBe('Your registration was declined.');
    expect(cookie).toBeNull();
  });

  it('a deactivated user is told the account is deactivated and gets no session', async () => {
    const u = await insertUser(app, { password: PASSWORD });
    await admin.caller.admin.users.deactivate({ userId: u.id, expectedVersion: 1 });
    const { err, cookie } = await attempt(u.email);
    expect(err.code).toBe('FORBIDDEN');
    expect(err.reason).toBe('ACCOUNT_INACTIVE');
    expect(err.message).toMatch(/deactivated/i);
    expect(cookie).toBeNull();
    expect(await noSessions(u.email)).toBe(0);
  });

  it('an invited user who has not accepted yet gets exactly the wrong-password answer and no session (no enumeration)', async () => {
    const wrong = await attempt((await insertUser(app, { password: PASSWORD })).email, 'not the password');
    const u = await insertUser(app, { status: 'invited', password: null });
    const { err, cookie } = await attempt(u.email);
    expect({ code: err.code, reason: err.reason, message: err.message }).toEqual({
      code: wrong.err.code,
      reason: wrong.err.reason,
      message: wrong.err.message,
    });
    expect(err.reason).toBe('INVALID_CREDENTIALS');
    expect(cookie).toBeNull();
    // Had a password been set some other way, the invite would still have to be accepted first, and nothing tells them apart.
    const v = await insertUser(app, { status: 'invited', password: PASSWORD });
    const second = await attempt(v.email);
    expect(second.err.reason).toBe('INVALID_CREDENTIALS');
    expect(second.err.message).toBe('Incorrect email or password');
    expect(second.cookie).toBeNull();
    expect(await noSessions(v.email)).toBe(0);
  });

  it('the status is told only to someone who knows the password', async () => {
    for (const status of ['pending', 'rejected', 'inactive'] as const) {
      const u = await insertUser(app, { status, password: PASSWORD });
      const { err } = await attempt(u.email, 'not the password');
      expect(err.reason, status).toBe('INVALID_CREDENTIALS');
      expect(err.message).toBe('Incorrect email or password');
    }
  });

  it('once activated, the same user logs in', async () => {
    const u = await insertUser(app, { status: 'pending', password: PASSWORD });
    expect((await attempt(u.email)).err.reason).toBe('ACCOUNT_PENDING');
    await admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 });
    const { err, cookie } = await attempt(u.email);
    expect(err).toBeNull();
    expect(cookie).not.toBeNull();
  });
});
