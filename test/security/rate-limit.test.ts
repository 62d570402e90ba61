import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, sqlCount, type TestApp } from '../support/app.js';
import { uniqueEmail } from '../support/users.js';
import { setRequireEmailVerification } from '../support/verify.js';
import { createRateLimits } from '../../server/security/rate-limit.js';
import { purgeRateLimits } from '../../server/security/security.repository.js';

const PASSWORD = 'a fine passphrase';
const signup = (app: TestApp, ip: string) =>
  app
    .caller({ ip })
    .auth.signup({ firstName: 'Rate', lastName: 'Limit', email: uniqueEmail('rl'), password: PASSWORD, confirmPassword: PASSWORD })
    .then(
      () => 'ok',
      (e: any) => e.reason ?? e.message,
    );

describe('rate limits are shared by every process and survive a restart (issue 10, item 3)', () => {
  // Two app instances on one database, with the real limits (sign-up: 10 per IP per 10 minutes).
  let one: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    one = await startTestApp({ limits: createRateLimits(1) });
    two = await startTestApp({ db: one.db, limits: createRateLimits(1) });
    await setRequireEmailVerification(one, false);
  });
  afterAll(async () => {
    // Unset when beforeAll failed before assigning them.
    await (two as TestApp | undefined)?.stop();
    await (one as TestApp | undefined)?.stop();
  });

  it('two instances on one database enforce one limit, not one each', async () => {
    const ip = '203.0.113.10';
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) outcomes.push(await signup(i % 2 ? two : one, ip));
    expect(outcomes).toEqual(Array(10).fill('ok'));
    // The 11th, on either instance, is over the one shared limit.
    expect(await signup(one, ip)).toBe('RATE_LIMITED');
    expect(await signup(two, ip)).toBe('RATE_LIMITED');
    // Another address is not affected.
    expect(await signup(two, '203.0.113.11')).toBe('ok');
  });

  it('keys known to be over the limit are refused in memory, without touching the database', async () => {
    const ip = '203.0.113.20';
    for (let i = 0; i < 11; i++) await signup(one, ip);
    const points = async () => (await sql(one, `select points from rate_limit where key = ?`, [`signupPerIp:${ip}`]))[0]?.points;
    const before = await points();
    expect(before).toBe(11);
    for (let i = 0; i < 20; i++) expect(await signup(one, ip)).toBe('RATE_LIMITED');
    expect(await points()).toBe(before);
  });

  it('a restarted process (a new instance) remembers the limit', async () => {
    const ip = '203.0.113.30';
    for (let i = 0; i < 10; i++) await signup(one, ip);
    const restarted = await startTestApp({ db: one.db, limits: createRateLimits(1) });
    try {
      expect(await signup(restarted, ip)).toBe('RATE_LIMITED');
    } finally {
      await restarted.stop();
    }
  });

  it('the message keeps its shape, and a window that has ended starts again', async () => {
    const ip = '203.0.113.40';
    for (let i = 0; i < 10; i++) await signup(two, ip);
    const err: any = await two
      .caller({ ip })
      .auth.signup({ firstName: 'Rate', lastName: 'Limit', email: uniqueEmail('rl'), password: PASSWORD, confirmPassword: PASSWORD })
      .catch((e) => e);
    expect(err.code).toBe('TOO_MANY_REQUESTS');
    expect(err.message).toMatch(/^Too many attempts\. Please try again in \d+ minutes?\.$/);
    // Eleven minutes later (both instances share the test clock's idea of time through the database row).
    one.clock.advance(11 * 60_000);
    two.clock.advance(11 * 60_000);
    two.services.limits.signupPerIp.forgetLocal();
    expect(await signup(two, ip)).toBe('ok');
    one.clock.reset();
    two.clock.reset();
  });

  it('old windows are purged', async () => {
    await sql(one, `insert into rate_limit (key, points, expires_at) values ('test:old', 3, now() - interval '1 minute')`);
    await purgeRateLimits(one.services.em(), new Date());
    expect(await sqlCount(one, `select count(*) from rate_limit where key = 'test:old'`)).toBe(0);
    expect(await sqlCount(one, `select count(*) from rate_limit where expires_at > now()`)).toBeGreaterThan(0);
  });
});
