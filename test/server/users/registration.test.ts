import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, sql, sqlCount, sessionIdFrom, type TestApp } from '../../support/app.js';
import { adminSession, insertUser, uniqueEmail } from '../../support/users.js';
import { rawPost } from '../../support/http.js';
import { createRateLimits } from '../../../server/security/rate-limit.js';
import { writeSetting } from '../../../server/settings/settings.repository.js';

const PASSWORD = 'a fine passphrase';

function form(email: string, extra: Record<string, unknown> = {}) {
  return { firstName: 'Ada', lastName: 'Lovelace', email, password: PASSWORD, confirmPassword: PASSWORD, ...extra };
}

async function setSettings(app: TestApp, values: Record<string, unknown>) {
  await app.services.em().transactional(async (tx) => {
    for (const [k, v] of Object.entries(values)) await writeSetting(tx, k, v);
  });
}

async function outboxFor(app: TestApp, to: string) {
  return sql<{ template: string; to_address: string; variables: any; user_id: string | null }>(
    app,
    `select template, to_address, variables, user_id from email_outbox where lower(to_address) = lower(?) order by id`,
    [to],
  );
}

describe('self-registration', () => {
  let app: TestApp;
  let admins: { id: string; email: string }[];
  beforeAll(async () => {
    app = await startTestApp();
    const a = await adminSession(app);
    const b = await insertUser(app, { role: 'admin', firstName: 'Grace' });
    await insertUser(app, { role: 'admin', status: 'inactive' }); // not told
    admins = [a, b];
  });
  afterAll(() => app.stop());
  // Verification is off here: these tests are about the policy at sign-up (verification.test.ts covers the order with it on).
  beforeEach(() => setSettings(app, { autoApprove: false, signupEnabled: true, autoApproveDomains: [], requireEmailVerification: false }));

  it('with auto-approve off, creates a pending developer in the default organisation and tells the user and every active admin', async () => {
    const email = uniqueEmail('pending');
    const res = await app.caller().auth.signup(form(email));
    expect(res).toEqual({ status: 'pending' });

    const [u] = await sql(app, `select u.*, o.is_default from app_user u join organisation o on o.id = u.organisation_id where u.email = ?`, [email]);
    expect(u).toMatchObject({ status: 'pending', role: 'developer', first_name: 'Ada', last_name: 'Lovelace', is_default: true, version: 1 });
    expect(u.password_hash).toMatch(/^\$argon2id\$/);

    const mine = await outboxFor(app, email);
    expect(mine.map((m) => m.template)).toEqual(['registration-received']);
    expect(mine[0]!.variables).toMatchObject({ firstName: 'Ada' });
    expect(mine[0]!.user_id).toBe(u.id);

    const adminMails = await sql(
      app,
      `select to_address, variables from email_outbox where template = 'admin-new-registration' and variables->>'userEmail' = ?`,
      [email],
    );
    expect(adminMails.map((m) => m.to_address).sort()).toEqual(admins.map((a) => a.email).sort());
    for (const m of adminMails) {
      expect(m.variables.userUrl).toBe(`${app.services.publicUrl()}/admin/users/${u.id}`);
      expect(m.variables.userName).toBe('Ada Lovelace');
    }

    const [ev] = await sql(app, `select type, actor_id, user_id, data from domain_event where user_id = ? and type like 'user.%'`, [u.id]);
    expect(ev).toMatchObject({ type: 'user.registered', actor_id: u.id, user_id: u.id });
    expect(ev.data).toMatchObject({ autoApproved: false, user: { id: u.id, email, status: 'pending', version: 1 } });
  });

  it('a pending user cannot log in yet', async () => {
    const email = uniqueEmail();
    await app.caller().auth.signup(form(email));
    const caller = app.caller();
    const err = await caller.auth.login({ email, password: PASSWORD }).catch((e) => e);
    expect(err.code).toBe('FORBIDDEN');
    expect(sessionIdFrom(caller.cookies)).toBeNull();
  });

  it('with auto-approve on, the account is active at once, gets the welcome email, and can log in', async () => {
    await setSettings(app, { autoApprove: true });
    const email = uniqueEmail('auto');
    expect(await app.caller().auth.signup(form(email))).toEqual({ status: 'active' });
    const [u] = await sql(app, `select id, status from app_user where email = ?`, [email]);
    expect(u.status).toBe('active');
    const mails = await outboxFor(app, email);
    expect(mails.map((m) => m.template)).toEqual(['welcome']);
    expect(mails[0]!.variables.loginUrl).toBe(`${app.services.publicUrl()}/login`);
    expect(await sqlCount(app, `select count(*) from email_outbox where template = 'admin-new-registration' and variables->>'userEmail' = ?`, [email])).toBe(0);
    const [ev] = await sql(app, `select data from domain_event where user_id = ? and type = 'user.registered'`, [u.id]);
    expect(ev.data.autoApproved).toBe(true);

    const caller = app.caller();
    await caller.auth.login({ email, password: PASSWORD });
    expect(sessionIdFrom(caller.cookies)).not.toBeNull();
  });

  it('approves at once an address whose domain is in the list (exact match, any letter case), and only those', async () => {
    await setSettings(app, { autoApproveDomains: ['partner.example', 'dev.acme.test'] });
    const tag = Date.now().toString(36);
    const cases: [string, 'active' | 'pending'][] = [
      [`a.${tag}@partner.example`, 'active'],
      [`b.${tag}@PARTNER.Example`, 'active'],
      [`c.${tag}@dev.acme.test`, 'active'],
      [`d.${tag}@acme.test`, 'pending'], // parent domain of a listed one
      [`e.${tag}@sub.partner.example`, 'pending'], // subdomain of a listed one
      [`f.${tag}@notpartner.example`, 'pending'], // suffix look-alike
      [`g.${tag}@partner.example.evil.test`, 'pending'],
    ];
    for (const [email, expected] of cases) {
      expect(await app.caller().auth.signup(form(email)), email).toEqual({ status: expected });
      const [u] = await sql(app, `select status from app_user where lower(email) = lower(?)`, [email]);
      expect(u.status, email).toBe(expected);
    }
  });

  it('with sign-up disabled, refuses with SIGNUP_DISABLED before creating anything', async () => {
    await setSettings(app, { signupEnabled: false, autoApprove: true });
    const email = uniqueEmail('closed');
    const err = await app
      .caller()
      .auth.signup(form(email))
      .catch((e) => e);
    expect(err.code).toBe('FORBIDDEN');
    expect(err.reason).toBe('SIGNUP_DISABLED');
    expect(await sqlCount(app, `select count(*) from app_user where email = ?`, [email])).toBe(0);
    expect(await sqlCount(app, `select count(*) from email_outbox where to_address = ?`, [email])).toBe(0);
    expect((await app.caller().auth.me()).signupEnabled).toBe(false);
  });

  it('answers a taken address (in another letter case) exactly like a new one, creates nothing and tells the owner', async () => {
    const owner = await insertUser(app, { email: `Owner.${Date.now().toString(36)}@Example.test`, firstName: 'Olive' });
    const usersBefore = await sqlCount(app, `select count(*) from app_user`);
    const eventsBefore = await sqlCount(app, `select count(*) from domain_event where type like 'user.%'`);

    const fresh = await app.caller().auth.signup(form(uniqueEmail('fresh')));
    const dup = await app.caller().auth.signup(form(owner.email.toUpperCase(), { firstName: 'Mallory' }));
    expect(dup).toEqual(fresh);

    expect(await sqlCount(app, `select count(*) from app_user`)).toBe(usersBefore + 1); // only the fresh one
    expect(await sqlCount(app, `select count(*) from domain_event where type like 'user.%'`)).toBe(eventsBefore + 1);
    const [row] = await sql(app, `select first_name, status, password_hash from app_user where id = ?`, [owner.id]);
    expect(row.first_name).toBe('Olive'); // untouched

    const mails = await outboxFor(app, owner.email);
    expect(mails.map((m) => m.template)).toEqual(['signup-attempt-existing']);
    expect(mails[0]!.to_address).toBe(owner.email);
    expect(mails[0]!.variables).toMatchObject({
      firstName: 'Olive',
      loginUrl: `${app.services.publicUrl()}/login`,
      resetUrl: `${app.services.publicUrl()}/forgot-password`,
    });

    // Repeated attempts within the hour do not flood the owner's inbox; after an hour they are told again.
    await app.caller().auth.signup(form(owner.email));
    expect((await outboxFor(app, owner.email)).length).toBe(1);
    app.clock.advance(61 * 60_000);
    try {
      await app.caller().auth.signup(form(owner.email));
    } finally {
      app.clock.reset();
    }
    expect((await outboxFor(app, owner.email)).length).toBe(2);
  });

  it('the duplicate answer also matches the policy: active when a new account would be active', async () => {
    await setSettings(app, { autoApprove: true });
    const owner = await insertUser(app, { status: 'pending' });
    expect(await app.caller().auth.signup(form(owner.email))).toEqual({ status: 'active' });
    const [row] = await sql(app, `select status from app_user where id = ?`, [owner.id]);
    expect(row.status).toBe('pending');
  });

  it('20 concurrent sign-ups with case variants of one address create exactly one account', async () => {
    const base = `race.${Date.now().toString(36)}@example.test`;
    const variants = Array.from({ length: 20 }, (_, i) =>
      base
        .split('')
        .map((c, j) => ((i >> (j % 5)) & 1 ? c.toUpperCase() : c))
        .join(''),
    );
    variants[0] = base;
    const results = await Promise.allSettled(variants.map((email) => app.caller().auth.signup(form(email))));
    expect(results.every((r) => r.status === 'fulfilled' && r.value.status === 'pending')).toBe(true);
    expect(await sqlCount(app, `select count(*) from app_user where lower(email) = lower(?)`, [base])).toBe(1);
    const [u] = await sql(app, `select id from app_user where lower(email) = lower(?)`, [base]);
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'user.registered' and user_id = ?`, [u.id])).toBe(1);
    expect(await sqlCount(app, `select count(*) from email_outbox where template = 'registration-received' and user_id = ?`, [u.id])).toBe(1);
    // The 19 losers tell the owner once (throttled), not 19 times.
    expect(await sqlCount(app, `select count(*) from email_outbox where template = 'signup-attempt-existing' and user_id = ?`, [u.id])).toBe(1);
  });

  it('rejects hostile and oversized input with field errors and changes nothing', async () => {
    const usersBefore = await sqlCount(app, `select count(*) from app_user`);
    const outboxBefore = await sqlCount(app, `select count(*) from email_outbox`);
    const bodies: [Record<string, unknown>, string][] = [
      [form(uniqueEmail(), { firstName: '<script>alert(1)</script>\r\nBcc: victim@example.test' }), 'firstName'],
      [form(uniqueEmail(), { lastName: 'x'.repeat(10_000) }), 'lastName'],
      [form(`evil\r\n@example.test`), 'email'],
      [form('x'.repeat(10_000) + '@example.test'), 'email'],
      [form(uniqueEmail(), { password: 'short', confirmPassword: 'short' }), 'password'],
      [form(uniqueEmail(), { password: 'p'.repeat(10_000), confirmPassword: 'p'.repeat(10_000) }), 'password'],
      [form(uniqueEmail(), { confirmPassword: 'something else' }), 'confirmPassword'],
      [form(uniqueEmail(), { firstName: 42 }), 'firstName'],
      [form(uniqueEmail(), { email: ['a@b.test'] }), 'email'],
      [form(uniqueEmail(), { lastName: null }), 'lastName'],
      [form(uniqueEmail(), { firstName: '   ' }), 'firstName'],
    ];
    for (const [body, field] of bodies) {
      const res = await rawPost(app.url, 'auth.signup', body, { origin: app.origin });
      expect(res.status, field).toBe(400);
      const json = await res.json();
      expect(json.error.data.fieldErrors?.[field], JSON.stringify(json.error.data)).toBeTruthy();
      expect(JSON.stringify(json)).not.toMatch(/stack|at \w+ \(|insert into/);
    }
    const res = await rawPost(app.url, 'auth.signup', 'not an object', { origin: app.origin });
    expect(res.status).toBe(400);
    expect(await sqlCount(app, `select count(*) from app_user`)).toBe(usersBefore);
    expect(await sqlCount(app, `select count(*) from email_outbox`)).toBe(outboxBefore);
  });

  it('refuses markup in names with a clear message', async () => {
    const email = uniqueEmail('markup');
    const err = await app
      .caller()
      .auth.signup(form(email, { firstName: '<script>alert(1)</script>' }))
      .catch((e) => e);
    expect(err.code).toBe('BAD_REQUEST');
    const res = await rawPost(app.url, 'auth.signup', form(email, { lastName: '<b>Bold</b>' }), { origin: app.origin });
    expect((await res.json()).error.data.fieldErrors.lastName).toBe('Last name cannot contain < or >');
    expect(await sqlCount(app, `select count(*) from app_user where email = ?`, [email])).toBe(0);
  });
});

describe('sign-up rate limit', () => {
  it('refuses past the per-IP limit before hashing or writing anything', async () => {
    const app = await startTestApp({ limits: createRateLimits(1) });
    try {
      const results: string[] = [];
      for (let i = 0; i < 12; i++) {
        const r = await app
          .caller({ ip: '203.0.113.9' })
          .auth.signup(form(uniqueEmail('limited')))
          .then(
            () => 'ok',
            (e) => e.code as string,
          );
        results.push(r);
      }
      expect(results.filter((r) => r === 'ok')).toHaveLength(10);
      expect(results.slice(10)).toEqual(['TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS']);
      expect(await sqlCount(app, `select count(*) from app_user where email like 'limited.%'`)).toBe(10);
      // Another address is not affected.
      expect(await app.caller({ ip: '198.51.100.7' }).auth.signup(form(uniqueEmail('other')))).toEqual({ status: 'unverified' });
    } finally {
      await app.stop();
    }
  });
});
