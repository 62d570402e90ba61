import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, sqlCount, type TestApp } from '../../support/app.js';
import { httpClient } from '../../support/http.js';
import { insertUser, loginAs } from '../../support/users.js';
import { sessionIdOf } from '../../../server/sessions/session-store.js';

const MINUTE = 60_000;
const TOKEN = { name: 'CRM sync', scopes: ['users:read' as const], expiresInDays: 30 as const };

async function errorOf(p: Promise<unknown>): Promise<any> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

describe('re-authentication (sudo mode)', () => {
  let app: TestApp;
  beforeAll(async () => {
    // Lockouts as shipped (a tight limit of 3 per account and address here), no proof-of-work to solve in these tests.
    app = await startTestApp({ security: { loginFailuresPerIp: 3, loginFailuresPerAccount: 100 } });
  });
  afterAll(() => app.stop());
  afterAll(() => app.clock.reset());

  async function freshAdmin() {
    const admin = await insertUser(app, { role: 'admin' });
    const sessionId = await loginAs(app, admin.email, admin.password!);
    return { ...admin, sessionId, caller: app.caller({ sessionId }) };
  }

  it('a login counts as a password check: creating a token right after works', async () => {
    const admin = await freshAdmin();
    const checked = await sql<{ password_checked_at: Date | null }>(app, `select password_checked_at from user_session where id = ?`, [
      sessionIdOf(admin.sessionId),
    ]);
    expect(checked[0]!.password_checked_at).not.toBeNull();
    await expect(admin.caller.admin.settings.apiTokens.create(TOKEN)).resolves.toMatchObject({ item: { name: 'CRM sync' } });
  });

  it('refuses token creation and settings changes with REAUTH_REQUIRED once the check is older than 10 minutes, changing nothing', async () => {
    const admin = await freshAdmin();
    const settings = await admin.caller.admin.settings.general.get();
    app.clock.advance(10 * MINUTE + 1000);
    try {
      const before = await sqlCount(app, `select count(*) from api_token where user_id = ?`, [admin.id]);
      const err = await errorOf(admin.caller.admin.settings.apiTokens.create(TOKEN));
      expect(err).toMatchObject({ code: 'FORBIDDEN', reason: 'REAUTH_REQUIRED' });
      expect(await sqlCount(app, `select count(*) from api_token where user_id = ?`, [admin.id])).toBe(before);
      const settingsErr = await errorOf(admin.caller.admin.settings.general.update({ ...settings, portalName: 'Changed without password' }));
      expect(settingsErr).toMatchObject({ code: 'FORBIDDEN', reason: 'REAUTH_REQUIRED' });
      expect((await admin.caller.admin.settings.general.get()).portalName).toBe(settings.portalName);
      // Reading and revoking stay open: they need no password.
      await expect(admin.caller.admin.settings.apiTokens.list()).resolves.toBeTruthy();
    } finally {
      app.clock.reset();
    }
  });

  it('over HTTP, the refusal carries the machine-readable reason', async () => {
    const admin = await freshAdmin();
    app.clock.advance(11 * MINUTE);
    try {
      const client = httpClient(app.url, { sessionId: admin.sessionId, origin: app.origin }) as any;
      const err = await errorOf(client.admin.settings.apiTokens.create.mutate(TOKEN));
      expect(err.data).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403, reason: 'REAUTH_REQUIRED' });
    } finally {
      app.clock.reset();
    }
  });

  it('auth.confirmPassword refreshes the check for another 10 minutes', async () => {
    const admin = await freshAdmin();
    app.clock.advance(30 * MINUTE);
    try {
      expect(await errorOf(admin.caller.admin.settings.apiTokens.create(TOKEN))).toMatchObject({ reason: 'REAUTH_REQUIRED' });
      const res = await admin.caller.auth.confirmPassword({ password: admin.password! });
      expect(res.ok).toBe(true);
      const row = await sql<{ password_checked_at: string }>(app, `select password_checked_at from user_session where id = ?`, [sessionIdOf(admin.sessionId)]);
      expect(new Date(row[0]!.password_checked_at).toISOString()).toBe(res.checkedAt);
      await expect(admin.caller.admin.settings.apiTokens.create(TOKEN)).resolves.toMatchObject({ item: { name: 'CRM sync' } });
      app.clock.advance(9 * MINUTE);
      await expect(admin.caller.admin.settings.apiTokens.create(TOKEN)).resolves.toBeTruthy();
      app.clock.advance(2 * MINUTE);
      expect(await errorOf(admin.caller.admin.settings.apiTokens.create(TOKEN))).toMatchObject({ reason: 'REAUTH_REQUIRED' });
    } finally {
      app.clock.reset();
    }
  });

  it('a wrong password is refused and counted by the login lockout; past the limit even the right one is refused from that address', async () => {
    const admin = await freshAdmin();
    app.clock.advance(11 * MINUTE);
    try {
      const boss = await freshAdmin();
      for (let i = 1; i <= 3; i++) {
        const err = await errorOf(admin.caller.auth.confirmPassword({ password: 'not the password' }));
        expect(err).toMatchObject({ code: 'UNAUTHORIZED', reason: 'INVALID_CREDENTIALS' });
        expect(await sqlCount(app, `select points from rate_limit where key like ?`, [`loginFail:${admin.id}:%`])).toBe(i);
      }
      expect(await boss.caller.admin.users.lockout.get({ userId: admin.id })).toMatchObject({ failures: 3, blockedAddresses: 1 });
      // The tight limit (3 per account and address) now refuses this address before the password is checked.
      expect(await errorOf(admin.caller.auth.confirmPassword({ password: admin.password! }))).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      expect(await errorOf(admin.caller.admin.settings.apiTokens.create(TOKEN))).toMatchObject({ reason: 'REAUTH_REQUIRED' });
      // From another address the owner can confirm, and that clears nothing it should not: the session is refreshed.
      const elsewhere = app.caller({ sessionId: admin.sessionId, ip: '198.51.100.20' });
      await expect(elsewhere.auth.confirmPassword({ password: admin.password! })).resolves.toMatchObject({ ok: true });
      await expect(elsewhere.admin.settings.apiTokens.create(TOKEN)).resolves.toBeTruthy();
    } finally {
      app.clock.reset();
    }
  });

  it('changing the password also counts as a password check', async () => {
    const admin = await freshAdmin();
    app.clock.advance(11 * MINUTE);
    try {
      expect(await errorOf(admin.caller.admin.settings.apiTokens.create(TOKEN))).toMatchObject({ reason: 'REAUTH_REQUIRED' });
      await admin.caller.auth.changePassword({
        currentPassword: admin.password!,
        newPassword: 'a brand new passphrase 42',
        confirmPassword: 'a brand new passphrase 42',
      });
      await expect(admin.caller.admin.settings.apiTokens.create(TOKEN)).resolves.toBeTruthy();
    } finally {
      app.clock.reset();
    }
  });

  it('refuses anonymous callers and bad input', async () => {
    expect(await errorOf(app.caller().auth.confirmPassword({ password: 'x' }))).toMatchObject({ code: 'UNAUTHORIZED' });
    const admin = await freshAdmin();
    expect(await errorOf(admin.caller.auth.confirmPassword({ password: '' }))).toMatchObject({ code: 'BAD_REQUEST' });
    expect(await errorOf(admin.caller.auth.confirmPassword({ password: 'x'.repeat(257) }))).toMatchObject({ code: 'BAD_REQUEST' });
  });
});
