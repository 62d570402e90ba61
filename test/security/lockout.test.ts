import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionIdFrom, sql, sqlCount, startTestApp, type TestApp } from '../support/app.js';
import { adminSession, insertUser } from '../support/users.js';
import { solveAltcha } from './support/altcha.js';
import { DEVICE_COOKIE, addressKey } from '../../server/security/lockout.js';

const PASSWORD = 'correct horse battery';
// The shipped lockout limits (5 failures per account+address, 10 per account), with an easy proof-of-work so tests stay quick.
const SECURITY = { powMaxNumber: 2_000, loginPowFactor: 2 };

type Outcome = { ok: boolean; reason: string | null; cookies: string[] };

async function login(app: TestApp, email: string, password: string, o: { ip: string; cookie?: string; altcha?: string }): Promise<Outcome> {
  const caller = app.caller({ ip: o.ip, ...(o.cookie ? { cookie: o.cookie } : {}) });
  try {
    await caller.auth.login({ email, password, ...(o.altcha ? { altcha: o.altcha } : {}) });
    return { ok: true, reason: null, cookies: caller.cookies };
  } catch (e: any) {
    return { ok: false, reason: e.reason ?? e.message, cookies: caller.cookies };
  }
}

/** Logs in as the owner would from a browser: answers the challenge when one is asked for. */
async function ownerLogin(app: TestApp, email: string, ip: string, cookie?: string): Promise<Outcome & { challenged: boolean }> {
  const first = await login(app, email, PASSWORD, { ip, ...(cookie ? { cookie } : {}) });
  if (first.reason !== 'CHALLENGE_REQUIRED') return { ...first, challenged: false };
  const { challenge } = await app.caller({ ip }).auth.challenge({ purpose: 'login', email });
  const altcha = await solveAltcha(challenge);
  return { ...(await login(app, email, PASSWORD, { ip, altcha })), challenged: true };
}

const deviceCookieOf = (cookies: string[]) => cookies.find((c) => c.startsWith(`${DEVICE_COOKIE}=`))?.split(';')[0];

describe('lockouts a stranger cannot trigger (issue 10, item 4)', () => {
  let app: TestApp;
  let other: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ security: SECURITY });
    other = await startTestApp({ db: app.db, security: SECURITY });
  });
  afterAll(async () => {
    // Unset when beforeAll failed before assigning them.
    await (other as TestApp | undefined)?.stop();
    await (app as TestApp | undefined)?.stop();
  });

  it('ten wrong passwords from ten addresses: the owner still logs in from an eleventh (solving the challenge), and from a known browser without one', async () => {
    const owner = await insertUser(app, { role: 'admin' });
    // The owner's browser logged in before: it holds the device cookie.
    const earlier = await login(app, owner.email, PASSWORD, { ip: '198.51.100.1' });
    expect(earlier.ok).toBe(true);
    const device = deviceCookieOf(earlier.cookies)!;
    expect(device).toBeTruthy();
    expect(earlier.cookies.find((c) => c.startsWith(DEVICE_COOKIE))).toMatch(/HttpOnly/);

    for (let i = 0; i < 10; i++) {
      const r = await login(app, owner.email, 'wrong password', { ip: `192.0.2.${i + 1}` });
      expect(r.reason).toBe('INVALID_CREDENTIALS');
    }
    // The episode started once: one event, one email to the owner.
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'user.lockout_started' and user_id = ?`, [owner.id])).toBe(1);
    expect(await sqlCount(app, `select count(*) from email_outbox where template = 'account-locked' and user_id = ?`, [owner.id])).toBe(1);

    // From the known browser: no challenge, not held back.
    const known = await login(app, owner.email, PASSWORD, { ip: '198.51.100.99', cookie: device });
    expect(known.ok).toBe(true);
    expect(sessionIdFrom(known.cookies)).toBeTruthy();
  });

  it('an eleventh address without the device cookie solves the harder challenge and gets in; that ends the episode', async () => {
    const owner = await insertUser(app);
    for (let i = 0; i < 10; i++) await login(app, owner.email, 'wrong password', { ip: `192.0.2.${50 + i}` });
    const admin = await adminSession(app);
    expect(await admin.caller.admin.users.lockout.get({ userId: owner.id })).toMatchObject({ state: 'challenged', failures: 10 });

    // Without the proof-of-work, even the right password is asked to solve it first.
    const bare = await login(app, owner.email, PASSWORD, { ip: '198.51.100.11' });
    expect(bare.reason).toBe('CHALLENGE_REQUIRED');
    // A sign-up challenge is too easy (and for another form).
    const easy = await app.caller({ ip: '198.51.100.11' }).auth.challenge({ purpose: 'signup' });
    expect((await login(app, owner.email, PASSWORD, { ip: '198.51.100.11', altcha: await solveAltcha(easy.challenge) })).reason).toBe('CHALLENGE_REQUIRED');

    const r = await ownerLogin(app, owner.email, '198.51.100.11');
    expect(r).toMatchObject({ ok: true, challenged: true });
    expect(await admin.caller.admin.users.lockout.get({ userId: owner.id })).toMatchObject({ state: 'normal', failures: 0 });
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'user.lockout_reset' and user_id = ?`, [owner.id])).toBe(1);
  });

  it('a used login solution cannot be replayed', async () => {
    const owner = await insertUser(app);
    for (let i = 0; i < 10; i++) await login(app, owner.email, 'wrong password', { ip: `192.0.2.${100 + i}` });
    const { challenge } = await app.caller().auth.challenge({ purpose: 'login', email: owner.email });
    const altcha = await solveAltcha(challenge);
    expect((await login(app, owner.email, 'still wrong', { ip: '198.51.100.12', altcha })).reason).toBe('INVALID_CREDENTIALS');
    expect((await login(other, owner.email, PASSWORD, { ip: '198.51.100.12', altcha })).reason).toBe('CHALLENGE_REQUIRED');
  });

  it('the tight limit refuses the failing address only, and a correct password from an address that has not failed is not refused', async () => {
    const owner = await insertUser(app);
    for (let i = 0; i < 5; i++) expect((await login(app, owner.email, 'wrong password', { ip: '192.0.2.200' })).reason).toBe('INVALID_CREDENTIALS');
    // The sixth try from that address is refused, even with the right password.
    expect((await login(app, owner.email, PASSWORD, { ip: '192.0.2.200' })).reason).toBe('RATE_LIMITED');
    // Another address logs in at once.
    expect((await login(app, owner.email, PASSWORD, { ip: '198.51.100.20' })).ok).toBe(true);
  });

  it('IPv6 addresses are counted per /64', async () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    const owner = await insertUser(app);
    for (let i = 0; i < 5; i++) await login(app, owner.email, 'wrong password', { ip: `2001:db8:77:1::${i + 1}` });
    expect((await login(app, owner.email, PASSWORD, { ip: '2001:db8:77:1:dead:beef::9' })).reason).toBe('RATE_LIMITED');
    expect((await login(app, owner.email, PASSWORD, { ip: '2001:db8:77:2::1' })).ok).toBe(true);
  });

  it('a success resets the counters of its address and the account', async () => {
    const owner = await insertUser(app);
    for (let i = 0; i < 4; i++) await login(app, owner.email, 'wrong password', { ip: '192.0.2.210' });
    expect(await sqlCount(app, `select count(*) from rate_limit where key like ?`, [`loginFail:${owner.id}:%`])).toBe(1);
    expect((await login(app, owner.email, PASSWORD, { ip: '192.0.2.210' })).ok).toBe(true);
    expect(await sqlCount(app, `select count(*) from rate_limit where key like ?`, [`loginFail:${owner.id}:%`])).toBe(0);
    expect(await sqlCount(app, `select count(*) from login_lockout where user_id = ?`, [owner.id])).toBe(0);
    // Five more failures are needed again before that address is refused.
    for (let i = 0; i < 4; i++) await login(app, owner.email, 'wrong password', { ip: '192.0.2.210' });
    expect((await login(app, owner.email, PASSWORD, { ip: '192.0.2.210' })).ok).toBe(true);
  });

  it('three tries a minute (from one address, then from many) do not keep the owner out for good', async () => {
    const owner = await insertUser(app);
    let ownerIns = 0;
    for (let minute = 0; minute < 60; minute++) {
      for (let k = 0; k < 3; k++) {
        // The first half hour from one address, then a new address every minute.
        const ip = minute < 30 ? '192.0.2.220' : `192.0.3.${minute}`;
        await login(app, owner.email, 'wrong password', { ip });
      }
      if (minute % 15 === 14) {
        const r = await ownerLogin(app, owner.email, '198.51.100.30');
        expect(r.ok).toBe(true);
        ownerIns++;
      }
      app.clock.advance(60_000);
      other.clock.advance(60_000);
    }
    expect(ownerIns).toBe(4);
    app.clock.reset();
    other.clock.reset();
  });

  it('two processes share the counters', async () => {
    const owner = await insertUser(app);
    for (let i = 0; i < 5; i++) await login(i % 2 ? other : app, owner.email, 'wrong password', { ip: '192.0.2.230' });
    expect((await login(other, owner.email, PASSWORD, { ip: '192.0.2.230' })).reason).toBe('RATE_LIMITED');
    expect((await login(app, owner.email, PASSWORD, { ip: '192.0.2.230' })).reason).toBe('RATE_LIMITED');
    for (let i = 0; i < 10; i++) await login(i % 2 ? other : app, owner.email, 'wrong password', { ip: `192.0.4.${i + 1}` });
    expect((await login(other, owner.email, PASSWORD, { ip: '198.51.100.40' })).reason).toBe('CHALLENGE_REQUIRED');
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'user.lockout_started' and user_id = ?`, [owner.id])).toBe(1);
  });

  it('the admin sees the state and Reset ends it (an event); non-admins cannot', async () => {
    const owner = await insertUser(app);
    for (let i = 0; i < 12; i++) await login(app, owner.email, 'wrong password', { ip: i < 6 ? '192.0.2.240' : `192.0.5.${i}` });
    const admin = await adminSession(app);
    const state = await admin.caller.admin.users.lockout.get({ userId: owner.id });
    // The 6th try from the first address was refused (not counted); past ten, tries without the proof-of-work are not counted either.
    expect(state).toMatchObject({ state: 'challenged', failures: 10, blockedAddresses: 1 });
    expect(state.challengedSince).toBeTruthy();
    const after = await admin.caller.admin.users.lockout.reset({ userId: owner.id });
    expect(after).toMatchObject({ state: 'normal', failures: 0, blockedAddresses: 0 });
    const events = await sql(app, `select actor_id, data from domain_event where type = 'user.lockout_reset' and user_id = ?`, [owner.id]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_id: admin.id, data: { by: 'admin', failures: 10 } });
    expect((await login(app, owner.email, PASSWORD, { ip: '192.0.2.240' })).ok).toBe(true);
    const dev = await insertUser(app);
    const devCaller = app.caller({ sessionId: sessionIdFrom((await login(app, dev.email, PASSWORD, { ip: '198.51.100.50' })).cookies) });
    await expect(devCaller.admin.users.lockout.reset({ userId: owner.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
