import { hash } from '@node-rs/argon2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from '../support/app.js';
import { adminSession, insertUser, loginAs } from '../support/users.js';
import { isCommonPassword } from '../../server/security/password-policy.js';

const nfc = 'Crème brûlée in Zürich, 2026'.normalize('NFC');
const nfd = nfc.normalize('NFD');

describe('passwords (issue 10, item 9)', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
  });
  afterEach(() => app.services.em().execute(`delete from setting where key = 'passwordMinLength'`));
  afterAll(() => app.stop());

  async function setMinLength(n: number) {
    const current = await admin.caller.admin.settings.sessions.get();
    return admin.caller.admin.settings.sessions.update({ ...current, passwordMinLength: n });
  }

  /** A logged-in user changing their password to `next`: the error's field message, or null on success. */
  async function change(next: string): Promise<string | null> {
    const u = await insertUser(app, { password: 'the old password here' });
    const caller = app.caller({ sessionId: await loginAs(app, u.email, u.password!) });
    return caller.auth.changePassword({ currentPassword: u.password!, newPassword: next, confirmPassword: next }).then(
      () => null,
      (e: any) => e.fieldErrors?.newPassword ?? e.message,
    );
  }

  it('new passwords need the minimum length from the settings (default 12, never below 8)', async () => {
    expect((await admin.caller.admin.settings.sessions.get()).passwordMinLength).toBe(12);
    expect(await change('eleven char')).toBe('Password must be at least 12 characters');
    expect(await change('twelve chars')).toBeNull();
    await setMinLength(16);
    expect(await change('fifteen letters')).toBe('Password must be at least 16 characters');
    expect(await change('sixteen letters!')).toBeNull();
    await setMinLength(8);
    expect(await change('eight ch')).toBeNull();
    const err = await setMinLength(7).catch((e) => e);
    expect(err.code).toBe('BAD_REQUEST');
    // Length counts code points of the NFC form: five emoji are 5 characters, not 10 UTF-16 units.
    expect(await change('😀😀😀😀😀')).toMatch(/at least 8 characters/);
  });

  it('has no composition rules and accepts up to 256 characters, not 257', async () => {
    expect(await change('all lower case words only')).toBeNull();
    expect(await change('x'.repeat(255) + 'y')).toBeNull();
    expect(await change('x'.repeat(256) + 'y')).toMatch(/at most 256/);
  });

  it('an existing shorter password keeps working until it is changed', async () => {
    const u = await insertUser(app, { password: 'short pw' });
    expect(await loginAs(app, u.email, 'short pw')).toMatch(/^[a-z2-7]{32}$/);
  });

  it('refuses passwords on the shipped common-password list, case-insensitively', async () => {
    expect(await isCommonPassword('qwerty123456')).toBe(true);
    expect(await isCommonPassword('QWERTY123456')).toBe(true);
    expect(await isCommonPassword('my own unusual phrase')).toBe(false);
    for (const p of ['qwerty123456', 'QwErTy123456', '1q2w3e4r5t6y', 'Q1W2E3R4T5Y6']) {
      expect(await change(p), p).toMatch(/commonly used/);
    }
  });

  it('the list has at least 10,000 entries', async () => {
    const { dictionary } = await import('@zxcvbn-ts/language-common');
    expect(dictionary['passwords-common'].length).toBeGreaterThanOrEqual(10_000);
  });

  it('NFC: a password set in NFD logs in typed as NFC, and the reverse', async () => {
    expect(nfd).not.toBe(nfc);
    const u = await insertUser(app, { password: 'the old password here' });
    const caller = app.caller({ sessionId: await loginAs(app, u.email, u.password!) });
    await caller.auth.changePassword({ currentPassword: u.password!, newPassword: nfd, confirmPassword: nfd });
    expect(await loginAs(app, u.email, nfc)).toBeTruthy();
    expect(await loginAs(app, u.email, nfd)).toBeTruthy();

    const v = await insertUser(app, { password: nfc });
    expect(await loginAs(app, v.email, nfd)).toBeTruthy();
    // Changing to "the same password in another form" is refused as the same password.
    const vc = app.caller({ sessionId: await loginAs(app, v.email, nfc) });
    const same = await vc.auth.changePassword({ currentPassword: nfc, newPassword: nfd, confirmPassword: nfd }).catch((e) => e);
    expect(same.reason).toBe('SAME_PASSWORD');
  });

  it('a legacy hash of the un-normalised password is accepted once as typed and rehashed with the NFC form', async () => {
    const u = await insertUser(app, { password: null });
    // As server/security/password.ts hashes: argon2id (2; Algorithm is a const enum, not importable as a value here).
    const argon2id = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
    const legacy = await hash(nfd, argon2id);
    await app.services.em().execute(`update app_user set password_hash = ? where id = ?`, [legacy, u.id]);
    const stored = async () => (await sql<{ password_hash: string }>(app, `select password_hash from app_user where id = ?`, [u.id]))[0]!.password_hash;

    // Typed as NFC it cannot match a hash of the NFD string (nor is the as-typed retry different).
    await expect(loginAs(app, u.email, nfc)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await stored()).toBe(legacy);

    expect(await loginAs(app, u.email, nfd)).toBeTruthy();
    const rehashed = await stored();
    expect(rehashed).not.toBe(legacy);
    // Now the NFC form matches, and a further login does not rehash again.
    expect(await loginAs(app, u.email, nfc)).toBeTruthy();
    expect(await loginAs(app, u.email, nfd)).toBeTruthy();
    expect(await stored()).toBe(rehashed);
  });

  it('the public policy tells pages the current minimum', async () => {
    expect(await app.caller().auth.passwordPolicy()).toEqual({ minLength: 12, maxLength: 256 });
    await setMinLength(14);
    expect(await app.caller().auth.passwordPolicy()).toEqual({ minLength: 14, maxLength: 256 });
  });

  it('settings changes are recorded as settings.changed events', async () => {
    await setMinLength(20);
    const [ev] = await sql(app, `select data from domain_event where type = 'settings.changed' order by id desc limit 1`);
    expect(ev.data.changes).toEqual({ passwordMinLength: { from: 12, to: 20 } });
  });
});
