import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { insertUser, loginAs } from '../../support/users.js';
import { rawPost } from '../../support/http.js';

const err = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: any) => e,
  );

describe('auth.changePassword', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  async function loggedIn() {
    const u = await insertUser(app);
    const sessionId = await loginAs(app, u.email, u.password!);
    return { ...u, sessionId, caller: app.caller({ sessionId }) };
  }

  it('changes the password: the new one logs in, the old one no longer does', async () => {
    const u = await loggedIn();
    const r = await u.caller.auth.changePassword({ currentPassword: u.password!, newPassword: 'new password 123', confirmPassword: 'new password 123' });
    expect(r.ok).toBe(true);
    await loginAs(app, u.email, 'new password 123');
    const e = await err(app.caller().auth.login({ email: u.email, password: u.password! }));
    expect(e.reason).toBe('INVALID_CREDENTIALS');
  });

  it('keeps this session, ends every other one of the user, and leaves other users alone', async () => {
    const u = await loggedIn();
    const second = await loginAs(app, u.email, u.password!);
    const third = await loginAs(app, u.email, u.password!);
    const bystander = await loggedIn();
    const r = await u.caller.auth.changePassword({ currentPassword: u.password!, newPassword: 'another secret!', confirmPassword: 'another secret!' });
    expect(r.otherSessionsRevoked).toBe(2);
    expect((await u.caller.auth.me()).user?.id).toBe(u.id);
    expect((await app.caller({ sessionId: second }).auth.me()).user).toBeNull();
    expect((await app.caller({ sessionId: third }).auth.me()).user).toBeNull();
    expect((await bystander.caller.auth.me()).user?.id).toBe(bystander.id);
  });

  it('appends user.password_changed (via change) and queues the password-changed email in the same transaction', async () => {
    const u = await loggedIn();
    await u.caller.auth.changePassword({ currentPassword: u.password!, newPassword: 'yet another one', confirmPassword: 'yet another one' });
    const [ev] = await sql(app, `select actor_id, data from domain_event where type = 'user.password_changed' and user_id = ?`, [u.id]);
    expect(ev.actor_id).toBe(u.id);
    expect(ev.data.via).toBe('change');
    expect(ev.data.user.email).toBe(u.email);
    const [mail] = await sql(app, `select to_address, variables from email_outbox where template = 'password-changed' and user_id = ?`, [u.id]);
    expect(mail.to_address).toBe(u.email);
    expect(mail.variables.loginUrl).toBe(`${app.services.publicUrl()}/login`);
    expect(JSON.stringify(mail.variables)).not.toContain('yet another one');
  });

  it('refuses a wrong current password as a field error, and changes nothing', async () => {
    const u = await loggedIn();
    const second = await loginAs(app, u.email, u.password!);
    const [before] = await sql(app, `select password_hash, version from app_user where id = ?`, [u.id]);
    const e = await err(u.caller.auth.changePassword({ currentPassword: 'not my password', newPassword: 'whatever 12345', confirmPassword: 'whatever 12345' }));
    expect(e.reason).toBe('INVALID_CREDENTIALS');
    expect(e.fieldErrors.currentPassword).toMatch(/incorrect/);
    const [after] = await sql(app, `select password_hash, version from app_user where id = ?`, [u.id]);
    expect(after).toEqual(before);
    expect((await app.caller({ sessionId: second }).auth.me()).user?.id).toBe(u.id);
    expect(await sqlCount(app, `select count(*) from email_outbox where user_id = ?`, [u.id])).toBe(0);
  });

  it('refuses a new password equal to the current one', async () => {
    const u = await loggedIn();
    const e = await err(u.caller.auth.changePassword({ currentPassword: u.password!, newPassword: u.password!, confirmPassword: u.password! }));
    expect(e.code).toBe('BAD_REQUEST');
    const body = await rawPost(
      app.url,
      'auth.changePassword',
      { currentPassword: u.password, newPassword: u.password, confirmPassword: u.password },
      {
        origin: app.origin,
        cookie: `admit_session=${u.sessionId}`,
      },
    );
    const json = await body.json();
    expect(json.error.data.fieldErrors.newPassword).toMatch(/different/);
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'user.password_changed' and user_id = ?`, [u.id])).toBe(0);
  });

  it('applies the password rules (8 to 256) and the confirmation', async () => {
    const u = await loggedIn();
    const cases: [Record<string, unknown>, string][] = [
      [{ currentPassword: u.password, newPassword: 'short', confirmPassword: 'short' }, 'newPassword'],
      [{ currentPassword: u.password, newPassword: 'x'.repeat(257), confirmPassword: 'x'.repeat(257) }, 'newPassword'],
      [{ currentPassword: u.password, newPassword: 'long enough 1', confirmPassword: 'long enough 2' }, 'confirmPassword'],
      [{ currentPassword: '', newPassword: 'long enough 1', confirmPassword: 'long enough 1' }, 'currentPassword'],
      [{ currentPassword: u.password, newPassword: { $gt: '' }, confirmPassword: 'x' }, 'newPassword'],
      [{ currentPassword: 'x'.repeat(100_000), newPassword: 'long enough 1', confirmPassword: 'long enough 1' }, 'currentPassword'],
    ];
    for (const [input, field] of cases) {
      const e = await err((u.caller.auth.changePassword as any)(input));
      expect(e?.code, JSON.stringify(input).slice(0, 80)).toBe('BAD_REQUEST');
      const res = await rawPost(app.url, 'auth.changePassword', input, { origin: app.origin, cookie: `admit_session=${u.sessionId}` });
      expect((await res.json()).error.data.fieldErrors[field], field).toBeTruthy();
    }
    expect((await sql(app, `select must_change_password from app_user where id = ?`, [u.id]))[0]).toBeDefined();
    await loginAs(app, u.email, u.password!);
  });

  it('requires a session', async () => {
    const e = await err(app.caller().auth.changePassword({ currentPassword: 'whatever 1', newPassword: 'whatever 2', confirmPassword: 'whatever 2' }));
    expect(e.code).toBe('UNAUTHORIZED');
  });

  it('two tabs changing at once: exactly one new password wins and the account stays usable', async () => {
    const u = await loggedIn();
    const other = app.caller({ sessionId: await loginAs(app, u.email, u.password!) });
    const results = await Promise.allSettled([
      u.caller.auth.changePassword({ currentPassword: u.password!, newPassword: 'first tab pass', confirmPassword: 'first tab pass' }),
      other.auth.changePassword({ currentPassword: u.password!, newPassword: 'second tab pass', confirmPassword: 'second tab pass' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const winner = results[0].status === 'fulfilled' ? 'first tab pass' : 'second tab pass';
    const loser = winner === 'first tab pass' ? 'second tab pass' : 'first tab pass';
    await loginAs(app, u.email, winner);
    expect((await err(app.caller().auth.login({ email: u.email, password: loser }))).reason).toBe('INVALID_CREDENTIALS');
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'user.password_changed' and user_id = ?`, [u.id])).toBe(1);
  });
});
