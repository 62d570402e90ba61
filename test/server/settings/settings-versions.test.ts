import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';

type Admin = Awaited<ReturnType<typeof adminSession>>;
type Page = 'security' | 'sessions' | 'retention' | 'emails' | 'sender';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: any) => e,
  );

/**
 * Every settings page saves with the version its form was loaded with (Settings › General has its
 * own tests): a save after someone else's is refused with their values, and writes nothing.
 */
const PAGES: { page: Page; theirs: (s: any) => Record<string, unknown>; mine: (s: any) => Record<string, unknown> }[] = [
  {
    page: 'security',
    theirs: (s) => ({ minSubmitSeconds: s.minSubmitSeconds === 5 ? 6 : 5 }),
    mine: (s) => ({ honeypotEnabled: !s.honeypotEnabled }),
  },
  {
    page: 'sessions',
    theirs: (s) => ({ passwordMinLength: s.passwordMinLength === 14 ? 15 : 14 }),
    mine: (s) => ({ sessionIdleTimeoutMinutes: s.sessionIdleTimeoutMinutes === 90 ? 91 : 90 }),
  },
  {
    page: 'emails',
    theirs: (s) => ({ perRecipientPerHour: s.perRecipientPerHour === 7 ? 8 : 7 }),
    mine: (s) => ({ perRecipientPerDay: s.perRecipientPerDay === 30 ? 31 : 30 }),
  },
  {
    page: 'sender',
    theirs: (s) => ({ mailFromName: s.mailFromName === 'Their Desk' ? 'Their Desk 2' : 'Their Desk' }),
    mine: (s) => ({ mailFromAddress: s.mailFromAddress === 'desk@acme.test' ? 'desk2@acme.test' : 'desk@acme.test' }),
  },
  {
    page: 'retention',
    theirs: (s) => ({ mailboxRetentionDays: s.mailboxRetentionDays === 45 ? 46 : 45 }),
    mine: (s) => ({ sentOutboxRetentionDays: s.sentOutboxRetentionDays === 20 ? 21 : 20 }),
  },
];

describe('settings pages: saves carry the version the form was loaded with', () => {
  let app: TestApp;
  let ada: Admin;
  let bob: Admin;
  // Settings › Emails: the limits card reads with caps and saves with saveCaps; the sender card reads
  // with get (its `sender` part) and saves with saveSender. The other pages use get and update.
  const api = (a: Admin, page: Page) => {
    if (page === 'sender') {
      const r = a.caller.admin.settings.emails;
      return {
        get: async () => {
          const { mailFromName, mailFromAddress, version } = (await r.get()).sender;
          return { mailFromName, mailFromAddress, version };
        },
        update: r.saveSender,
      };
    }
    const r = a.caller.admin.settings[page] as any;
    return page === 'emails' ? { get: r.caps, update: r.saveCaps } : r;
  };
  const events = () => sqlCount(app, `select count(*) from domain_event where type = 'settings.changed'`);

  beforeAll(async () => {
    app = await startTestApp();
    ada = await adminSession(app);
    bob = await adminSession(app);
  });
  afterAll(() => app.stop());

  for (const c of PAGES) {
    it(`${c.page}: a save after someone else's is refused with their values and writes nothing; with the current version it goes through`, async () => {
      const loaded = await api(ada, c.page).get();
      expect(loaded.version).toBeGreaterThanOrEqual(1);
      const theirs = await api(bob, c.page).update({ ...loaded, ...c.theirs(loaded), expectedVersion: loaded.version });
      expect(theirs.version).toBe(Number(loaded.version) + 1);
      const before = await events();

      // Ada's form still has Bob's field as it was: saving it must not put it back.
      const e = await failure(api(ada, c.page).update({ ...loaded, ...c.mine(loaded), expectedVersion: loaded.version }));
      expect(e.code).toBe('CONFLICT');
      expect(e.reason).toBe('SETTINGS_CHANGED');
      const { version, ...values } = theirs;
      expect(e.details).toEqual({ settings: values, version });
      expect(await api(ada, c.page).get()).toEqual(theirs);
      expect(await events()).toBe(before);

      // With the current version: saved, the version moves on; saving the same again keeps it.
      const saved = await api(ada, c.page).update({ ...theirs, ...c.mine(loaded), expectedVersion: theirs.version });
      expect(saved).toMatchObject({ ...c.theirs(loaded), ...c.mine(loaded), version: Number(theirs.version) + 1 });
      expect(await api(ada, c.page).update({ ...saved, expectedVersion: saved.version })).toEqual(saved);
      expect(await events()).toBe(before + 1);
      // Without a version (older clients, scripts): last save wins, as before.
      const { version: _v, ...plain } = loaded;
      await api(ada, c.page).update(plain);
      expect(await api(ada, c.page).get()).toMatchObject(plain);
    });
  }

  it('refuses a malformed version on every page', async () => {
    for (const c of PAGES) {
      const loaded = await api(ada, c.page).get();
      for (const bad of [0, -3, 2.5, '7']) {
        const e = await failure(api(ada, c.page).update({ ...loaded, expectedVersion: bad }));
        expect(e.code).toBe('BAD_REQUEST');
        expect(JSON.parse(e.cause.message)).toEqual([expect.objectContaining({ path: ['expectedVersion'], message: 'Invalid version' })]);
      }
    }
  });
});
