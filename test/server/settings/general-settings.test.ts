import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, sqlCount, type TestApp } from '../../support/app.js';
import { adminSession, developerSession, uniqueEmail } from '../../support/users.js';
import { rawPost } from '../../support/http.js';
import { DEFAULT_SETTINGS, type GeneralSettings } from '../../../shared/schemas/settings.js';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: any) => e,
  );

const PASSWORD = 'a fine passphrase';
const signup = (app: TestApp, email: string) =>
  app.caller().auth.signup({ firstName: 'Sam', lastName: 'Settings', email, password: PASSWORD, confirmPassword: PASSWORD });

describe('Settings > General', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let base: GeneralSettings;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
  });
  afterAll(() => app.stop());

  const settingsEvents = () => sql<{ actor_id: string; data: any }>(app, `select actor_id, data from domain_event where type = 'settings.changed' order by id`);

  it('starts from the defaults', async () => {
    base = await admin.caller.admin.settings.general.get();
    expect(base).toEqual({
      portalName: DEFAULT_SETTINGS.portalName,
      autoApprove: false,
      signupEnabled: true,
      autoApproveDomains: [],
      inviteLifetimeDays: 7,
      requireEmailVerification: true,
      unverifiedLifetimeDays: 7,
      version: 1,
    });
  });

  it('saves the changed settings and appends one settings.changed event with exactly the changes and the admin', async () => {
    const saved = await admin.caller.admin.settings.general.update({ ...base, portalName: 'Acme APIs', autoApprove: true });
    expect(saved).toMatchObject({ portalName: 'Acme APIs', autoApprove: true });
    expect(await admin.caller.admin.settings.general.get()).toEqual(saved);
    expect((await app.caller().auth.me()).portalName).toBe('Acme APIs');
    const ev = await settingsEvents();
    expect(ev).toHaveLength(1);
    expect(ev[0]).toEqual({
      actor_id: admin.id,
      data: { changes: { portalName: { from: DEFAULT_SETTINGS.portalName, to: 'Acme APIs' }, autoApprove: { from: false, to: true } } },
    });
    // Saving the same values again changes nothing and records nothing.
    await admin.caller.admin.settings.general.update(saved);
    expect(await settingsEvents()).toHaveLength(1);
  });

  it('with the version its form was loaded with, a save after someone else’s is refused with their settings, and changes nothing', async () => {
    const other = await adminSession(app);
    const loaded = await admin.caller.admin.settings.general.get();
    const theirs = await other.caller.admin.settings.general.update({ ...loaded, inviteLifetimeDays: 14, expectedVersion: loaded.version });
    expect(theirs.version).toBe(loaded.version + 1);
    const eventsBefore = (await settingsEvents()).length;

    // This admin's form still shows the old invite lifetime: saving it must not put 7 back.
    const e = await failure(admin.caller.admin.settings.general.update({ ...loaded, portalName: 'Stale form', expectedVersion: loaded.version }));
    expect(e.code).toBe('CONFLICT');
    expect(e.reason).toBe('SETTINGS_CHANGED');
    expect(e.details).toEqual({ settings: expect.objectContaining({ inviteLifetimeDays: 14, portalName: loaded.portalName }), version: theirs.version });
    expect(await admin.caller.admin.settings.general.get()).toEqual(theirs);
    expect(await settingsEvents()).toHaveLength(eventsBefore);

    // With the current version it goes through, and the answer carries the next one.
    const saved = await admin.caller.admin.settings.general.update({ ...theirs, portalName: 'Fresh form', expectedVersion: theirs.version });
    expect(saved).toMatchObject({ portalName: 'Fresh form', inviteLifetimeDays: 14, version: theirs.version + 1 });
    await admin.caller.admin.settings.general.update({ ...saved, portalName: loaded.portalName, inviteLifetimeDays: loaded.inviteLifetimeDays });
  });

  it('"Auto approve developer registration requests" decides whether a new registration is active or pending', async () => {
    // With "Require email verification" off, the policy decides at sign-up (verification.test.ts covers it on).
    const current = { ...(await admin.caller.admin.settings.general.get()), requireEmailVerification: false };
    await admin.caller.admin.settings.general.update({ ...current, autoApprove: true });
    expect(await signup(app, uniqueEmail('on'))).toEqual({ status: 'active' });
    await admin.caller.admin.settings.general.update({ ...current, autoApprove: false });
    expect(await signup(app, uniqueEmail('off'))).toEqual({ status: 'pending' });
  });

  it('auto-approve domains: validated, lower-cased, de-duplicated, and applied to registrations', async () => {
    const current = await admin.caller.admin.settings.general.get();
    const saved = await admin.caller.admin.settings.general.update({
      ...current,
      requireEmailVerification: false,
      autoApprove: false,
      autoApproveDomains: ['Partner.Example', 'partner.example', ' dev.acme.test '],
    });
    expect(saved.autoApproveDomains).toEqual(['partner.example', 'dev.acme.test']);
    expect((await admin.caller.admin.settings.general.get()).autoApproveDomains).toEqual(['partner.example', 'dev.acme.test']);
    expect(await signup(app, `x.${Date.now()}@PARTNER.example`)).toEqual({ status: 'active' });
    expect(await signup(app, `y.${Date.now()}@sub.partner.example`)).toEqual({ status: 'pending' });
    const ev = (await settingsEvents()).at(-1)!;
    expect(ev.data.changes.autoApproveDomains).toEqual({ from: [], to: ['partner.example', 'dev.acme.test'] });
  });

  it('refuses invalid domains with a field error on the offending entry, and saves nothing', async () => {
    const before = await admin.caller.admin.settings.general.get();
    const eventsBefore = (await settingsEvents()).length;
    for (const bad of [
      '*.example.com',
      'user@example.com',
      'http://example.com',
      'exa mple.com',
      'example',
      '-bad.example',
      'a'.repeat(300) + '.com',
      'x.com\r\nBcc: y',
    ]) {
      const res = await rawPost(
        app.url,
        'admin.settings.general.update',
        { ...before, autoApproveDomains: ['ok.example', bad] },
        {
          cookie: `admit_session=${admin.sessionId}`,
          origin: app.origin,
        },
      );
      expect(res.status, bad).toBe(400);
      const json = await res.json();
      expect(json.error.data.fieldErrors['autoApproveDomains.1'], bad).toMatch(/domain/i);
    }
    expect(await admin.caller.admin.settings.general.get()).toEqual(before);
    expect((await settingsEvents()).length).toBe(eventsBefore);
  });

  it('"Allow developers to sign up" off: the portal says so and the sign-up procedure refuses', async () => {
    const current = await admin.caller.admin.settings.general.get();
    await admin.caller.admin.settings.general.update({ ...current, signupEnabled: false });
    expect((await app.caller().auth.me()).signupEnabled).toBe(false);
    const email = uniqueEmail('closed');
    const err: any = await signup(app, email).catch((e) => e);
    expect(err.reason).toBe('SIGNUP_DISABLED');
    expect(await sqlCount(app, `select count(*) from app_user where email = ?`, [email])).toBe(0);
    await admin.caller.admin.settings.general.update({ ...current, signupEnabled: true });
    expect(await signup(app, email)).toMatchObject({ status: expect.any(String) });
  });

  it('rejects hostile, oversized and mistyped input with field errors and changes nothing', async () => {
    const before = await admin.caller.admin.settings.general.get();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...before, portalName: 'x'.repeat(10_000) }, 'portalName'],
      [{ ...before, portalName: '   ' }, 'portalName'],
      [{ ...before, autoApprove: 'yes' }, 'autoApprove'],
      [{ ...before, signupEnabled: 1 }, 'signupEnabled'],
      [{ ...before, autoApproveDomains: 'example.com' }, 'autoApproveDomains'],
      [{ ...before, autoApproveDomains: Array.from({ length: 500 }, (_, i) => `d${i}.example`) }, 'autoApproveDomains'],
      [{ ...before, inviteLifetimeDays: 0 }, 'inviteLifetimeDays'],
      [{ ...before, inviteLifetimeDays: 7.5 }, 'inviteLifetimeDays'],
      [{ ...before, inviteLifetimeDays: '7' }, 'inviteLifetimeDays'],
      [{ ...before, requireEmailVerification: 'yes' }, 'requireEmailVerification'],
      [{ ...before, unverifiedLifetimeDays: 0 }, 'unverifiedLifetimeDays'],
      [{ ...before, unverifiedLifetimeDays: 91 }, 'unverifiedLifetimeDays'],
    ];
    for (const [body, field] of cases) {
      const res = await rawPost(app.url, 'admin.settings.general.update', body, { cookie: `admit_session=${admin.sessionId}`, origin: app.origin });
      expect(res.status, field).toBe(400);
      const json = await res.json();
      expect(json.error.data.fieldErrors?.[field], `${field}: ${JSON.stringify(json.error.data)}`).toBeTruthy();
    }
    expect(await admin.caller.admin.settings.general.get()).toEqual(before);
  });

  it('is for admins only', async () => {
    const dev = await developerSession(app);
    const current = await admin.caller.admin.settings.general.get();
    for (const call of [() => dev.caller.admin.settings.general.get(), () => dev.caller.admin.settings.general.update({ ...current, autoApprove: true })]) {
      const err: any = await call().catch((e) => e);
      expect(err.code).toBe('FORBIDDEN');
    }
    expect(await admin.caller.admin.settings.general.get()).toEqual(current);
  });

  it('two admins saving at once: both saves apply in turn and each event records a true before → after', async () => {
    const other = await adminSession(app);
    const current = await admin.caller.admin.settings.general.get();
    await admin.caller.admin.settings.general.update({ ...current, inviteLifetimeDays: 7 });
    const n = (await settingsEvents()).length;
    await Promise.all([
      admin.caller.admin.settings.general.update({ ...current, inviteLifetimeDays: 10 }),
      other.caller.admin.settings.general.update({ ...current, inviteLifetimeDays: 20 }),
    ]);
    const evs = (await settingsEvents()).slice(n).map((e) => e.data.changes.inviteLifetimeDays);
    expect(evs).toHaveLength(2);
    expect(evs[0].from).toBe(7);
    expect(evs[1].from).toBe(evs[0].to);
    expect((await admin.caller.admin.settings.general.get()).inviteLifetimeDays).toBe(evs[1].to);
  });
});
