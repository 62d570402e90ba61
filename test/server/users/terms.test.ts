import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../../../server/trpc/router.js';
import { adminProcedure, authedProcedure } from '../../../server/trpc/procedures.js';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, insertUser, loginAs, uniqueEmail } from '../../support/users.js';
import { httpClient } from '../../support/http.js';
import { latestInviteToken } from '../invites/support.js';
import { writeSetting } from '../../../server/settings/settings.repository.js';

interface ProcedureDef {
  _def: { type: string; meta?: { allowWhileTermsAcceptanceRequired?: boolean }; middlewares: unknown[] };
}
const all = Object.entries(appRouter._def.procedures as unknown as Record<string, ProcedureDef>);
const gates = [authedProcedure, adminProcedure].map((b) => (b as unknown as ProcedureDef)._def.middlewares.at(-1));
const needsSession = all.filter(([, p]) => p._def.middlewares.some((m) => gates.includes(m)));
const blocked = needsSession.filter(([, p]) => !p._def.meta?.allowWhileTermsAcceptanceRequired).map(([path, p]) => ({ path, type: p._def.type }));

// All a user who must accept new terms may do: see who they are, read and accept the terms, change a forced password, log out.
const ALLOWED_WHILE_TERMS_REQUIRED = ['auth.me', 'auth.logout', 'auth.terms.current', 'auth.terms.accept', 'auth.changePassword'];

async function callWithEmptyInput(caller: any, path: string): Promise<any> {
  const fn = path.split('.').reduce((o, k) => o[k], caller);
  try {
    const r = await fn({});
    if (r && typeof r[Symbol.asyncIterator] === 'function') {
      const it = r[Symbol.asyncIterator]();
      try {
        await it.next();
      } finally {
        await it.return?.();
      }
    }
    return null;
  } catch (e) {
    return e;
  }
}

const PASSWORD = 'a fine passphrase';
const form = (email: string, extra: Record<string, unknown> = {}) => ({
  firstName: 'Ada',
  lastName: 'Lovelace',
  email,
  password: PASSWORD,
  confirmPassword: PASSWORD,
  ...extra,
});

describe('terms, versioned, with evidence', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let v1: number;
  beforeAll(async () => {
    app = await startTestApp({ env: { MAIL_WORKER: 'false' } });
    admin = await adminSession(app);
    await app.services.em().transactional(async (tx) => {
      await writeSetting(tx, 'requireEmailVerification', false);
      await writeSetting(tx, 'autoApprove', true);
    });
  });
  afterAll(() => app.stop());

  it('without terms, sign-up needs no box', async () => {
    expect(await app.caller().auth.terms.current()).toEqual({ version: null, mustAccept: false });
    expect(await app.caller().auth.signup(form(uniqueEmail('noterms')))).toEqual({ status: 'active' });
  });

  it('publishing: text or URL, one of them; versions are immutable', async () => {
    const both = await admin.caller.admin.settings.terms.publish({ title: 'Terms', body: 'x', url: 'https://x.example' }).catch((e) => e);
    expect(both.code).toBe('BAD_REQUEST');
    const v = await admin.caller.admin.settings.terms.publish({ title: 'Terms of Use', body: 'Be nice.\n\nNo abuse.' });
    v1 = v.id;
    expect(v).toMatchObject({ title: 'Terms of Use', body: 'Be nice.\n\nNo abuse.', url: null, mustReaccept: false });
    const update = await sql(app, `update terms_version set title = 'changed' where id = ?`, [v1]).catch((e) => e);
    expect(String(update.message)).toMatch(/append-only/);
    const del = await sql(app, `delete from terms_version where id = ?`, [v1]).catch((e) => e);
    expect(String(del.message)).toMatch(/append-only/);
    const [ev] = await sql(app, `select data from domain_event where type = 'terms.published'`);
    expect(ev.data).toEqual({ versionId: v1, title: 'Terms of Use', mustReaccept: false });
    expect((await app.caller().auth.terms.current()).version?.id).toBe(v1);
  });

  it('sign-up without ticking is refused; ticking records an acceptance with IP and user agent', async () => {
    const email = uniqueEmail('terms');
    const refused = await app
      .caller()
      .auth.signup(form(email))
      .catch((e) => e);
    expect(refused.code).toBe('BAD_REQUEST');
    expect(refused.cause?.reason ?? refused.reason).toBe('TERMS_ACCEPTANCE_REQUIRED');
    expect(await sqlCount(app, `select count(*) from app_user where email = ?`, [email])).toBe(0);
    // An old version's id is not the box on the page now.
    const stale = await app
      .caller()
      .auth.signup(form(email, { acceptTerms: v1 + 100 }))
      .catch((e) => e);
    expect(stale.code).toBe('BAD_REQUEST');

    expect(await app.caller({ ip: '203.0.113.7' }).auth.signup(form(email, { acceptTerms: v1 }))).toEqual({ status: 'active' });
    const [row] = await sql(app, `select a.* from terms_acceptance a join app_user u on u.id = a.user_id where u.email = ?`, [email]);
    expect(row).toMatchObject({ version_id: v1, ip: '203.0.113.7', user_agent: 'vitest' });
    expect(row.accepted_at).toBeTruthy();
    const upd = await sql(app, `update terms_acceptance set ip = 'x' where id = ?`, [row.id]).catch((e) => e);
    expect(String(upd.message)).toMatch(/append-only/);
    // The user page lists it.
    const list = await admin.caller.admin.settings.terms.forUser({ userId: row.user_id });
    expect(list).toEqual([{ versionId: v1, title: 'Terms of Use', acceptedAt: expect.any(String), ip: '203.0.113.7', userAgent: 'vitest' }]);
  });

  it('invite acceptance requires ticking the box too', async () => {
    const defaultOrg = (await sql(app, `select id from organisation where is_default`))[0].id;
    const { user } = await admin.caller.admin.users.add({
      firstName: 'Ivy',
      lastName: 'Invitee',
      email: uniqueEmail('inv'),
      organisationId: defaultOrg,
      mode: 'invite',
      sendInvite: true,
    });
    const token = await latestInviteToken(app, user.id);
    const input = { token, firstName: 'Ivy', lastName: 'Invitee', password: PASSWORD, confirmPassword: PASSWORD };
    const refused = await app
      .caller()
      .invite.accept(input)
      .catch((e) => e);
    expect(refused.cause?.reason ?? refused.reason).toBe('TERMS_ACCEPTANCE_REQUIRED');
    expect(await sqlCount(app, `select count(*) from app_user where id = ? and status = 'invited'`, [user.id])).toBe(1);
    await app.caller({ ip: '198.51.100.2' }).invite.accept({ ...input, acceptTerms: v1 });
    const [row] = await sql(app, `select version_id, ip from terms_acceptance where user_id = ?`, [user.id]);
    expect(row).toEqual({ version_id: v1, ip: '198.51.100.2' });
  });

  it('the admin sees who has not accepted the latest version', async () => {
    const r = await admin.caller.admin.settings.terms.notAccepted();
    expect(r.versionId).toBe(v1);
    // The admin and the developer who signed up before the terms existed.
    expect(r.items.map((i) => i.email)).toContain(admin.email);
    expect(r.count).toBe(r.items.length);
    const versions = await admin.caller.admin.settings.terms.versions();
    expect(versions[0]).toMatchObject({ id: v1, acceptedCount: 2 });
  });

  describe('a new version marked "must re-accept"', () => {
    let user: { id: string; email: string; password: string | null };
    let sessionId: string;
    let v2: number;
    beforeAll(async () => {
      user = await insertUser(app, { role: 'admin' });
      sessionId = await loginAs(app, user.email, user.password!);
      v2 = (await admin.caller.admin.settings.terms.publish({ title: 'Terms of Use 2', url: 'https://portal.example/terms-2', mustReaccept: true })).id;
    });

    it('finds the procedures that need a session; only me, logout, terms.current/accept and changePassword pass the gate', () => {
      expect(blocked.map((b) => b.path)).toEqual(expect.arrayContaining(['admin.users.stats', 'admin.organisations.list', 'auth.sessions.list']));
      const allowed = all.filter(([, p]) => p._def.meta?.allowWhileTermsAcceptanceRequired).map(([path]) => path);
      expect(allowed.sort()).toEqual([...ALLOWED_WHILE_TERMS_REQUIRED].sort());
    });

    it('me works and terms.current says the user must accept', async () => {
      expect((await app.caller({ sessionId }).auth.me()).user?.id).toBe(user.id);
      expect(await app.caller({ sessionId }).auth.terms.current()).toMatchObject({ version: { id: v2 }, mustAccept: true });
    });

    it.each(blocked)('$path refuses with TERMS_ACCEPTANCE_REQUIRED until the new version is accepted', async ({ path }) => {
      const err = await callWithEmptyInput(app.caller({ sessionId }), path);
      expect(err, `${path} answered`).not.toBeNull();
      expect(err.code).toBe('FORBIDDEN');
      expect(err.reason ?? err.cause?.reason).toBe('TERMS_ACCEPTANCE_REQUIRED');
    });

    it('is refused over HTTP too, with the reason in the error data', async () => {
      const client = httpClient(app.url, { sessionId, origin: app.origin });
      const err = await client.admin.organisations.list.query().catch((e: any) => e);
      expect(err.data).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403, reason: 'TERMS_ACCEPTANCE_REQUIRED' });
    });

    it('accepting an older version does not lift it; accepting the new one does, with evidence, and nothing is blocked after', async () => {
      const caller = app.caller({ sessionId, ip: '192.0.2.9' });
      expect((await caller.auth.terms.accept({ versionId: v1 }).catch((e) => e)).code).toBe('BAD_REQUEST');
      expect(await caller.auth.terms.accept({ versionId: v2 })).toEqual({ ok: true });
      const [row] = await sql(app, `select version_id, ip, user_agent from terms_acceptance where user_id = ? order by id desc limit 1`, [user.id]);
      expect(row).toEqual({ version_id: v2, ip: '192.0.2.9', user_agent: 'vitest' });
      expect((await caller.auth.terms.current()).mustAccept).toBe(false);
      for (const { path } of blocked.filter((b) => b.type !== 'subscription')) {
        const err = await callWithEmptyInput(app.caller({ sessionId }), path);
        if (err) expect(err.reason ?? err.cause?.reason, path).not.toBe('TERMS_ACCEPTANCE_REQUIRED');
      }
    });

    it('a later version without the flag does not bring the gate back', async () => {
      // The publishing admin is asked too.
      expect((await admin.caller.admin.users.stats().catch((e) => e)).cause?.reason ?? 'none').toBe('TERMS_ACCEPTANCE_REQUIRED');
      await admin.caller.auth.terms.accept({ versionId: v2 });
      await admin.caller.admin.settings.terms.publish({ title: 'Terms of Use 3', body: 'typo fixed' });
      expect((await app.caller({ sessionId }).auth.terms.current()).mustAccept).toBe(false);
      expect((await app.caller({ sessionId }).admin.users.stats()).total).toBeGreaterThan(0);
    });
  });
});
