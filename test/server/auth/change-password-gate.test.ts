import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../../../server/trpc/router.js';
import { adminProcedure, authedProcedure } from '../../../server/trpc/procedures.js';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { insertUser, loginAs } from '../../support/users.js';
import { httpClient } from '../../support/http.js';

interface ProcedureDef {
  _def: { type: string; meta?: { allowWhilePasswordChangeRequired?: boolean }; middlewares: unknown[] };
}
const all = Object.entries(appRouter._def.procedures as unknown as Record<string, ProcedureDef>);
// The gates are the last middleware each base adds; a procedure built on a base carries it.
const gates = [authedProcedure, adminProcedure].map((b) => (b as unknown as ProcedureDef)._def.middlewares.at(-1));
const needsSession = all.filter(([, p]) => p._def.middlewares.some((m) => gates.includes(m)));
const blocked = needsSession.filter(([, p]) => !p._def.meta?.allowWhilePasswordChangeRequired).map(([path, p]) => ({ path, type: p._def.type }));

// All a user who must change their password may do: see who they are, change it, or log out.
const ALLOWED_WHILE_CHANGE_REQUIRED = ['auth.me', 'auth.changePassword', 'auth.logout'];

async function callWithEmptyInput(caller: any, path: string): Promise<any> {
  const fn = path.split('.').reduce((o, k) => o[k], caller);
  try {
    const r = await fn({});
    // A subscription hands back an iterable; the gate runs before its first value.
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

describe('"must change password at next login" gate', () => {
  let app: TestApp;
  let user: { id: string; email: string; password: string | null };
  let sessionId: string;
  let otherSessionId: string;

  beforeAll(async () => {
    app = await startTestApp();
    // An admin, so admin.* procedures are blocked by the password gate and not merely by the role check.
    user = await insertUser(app, { role: 'admin', mustChangePassword: true });
    sessionId = await loginAs(app, user.email, user.password!);
    otherSessionId = await loginAs(app, user.email, user.password!);
  });
  afterAll(() => app.stop());

  it('finds the procedures that need a session (enumerated from the router)', () => {
    expect(blocked.length).toBeGreaterThan(0);
    expect(blocked.map((b) => b.path)).toEqual(expect.arrayContaining(['admin.users.stats', 'admin.organisations.list']));
  });

  it('only me, changePassword and logout carry allowWhilePasswordChangeRequired', () => {
    const allowed = all.filter(([, p]) => p._def.meta?.allowWhilePasswordChangeRequired).map(([path]) => path);
    expect(allowed.sort()).toEqual([...ALLOWED_WHILE_CHANGE_REQUIRED].sort());
  });

  it('logging in works and me reports the flag', async () => {
    const me = await app.caller({ sessionId }).auth.me();
    expect(me.user).toMatchObject({ id: user.id, mustChangePassword: true });
  });

  it.each(blocked)('$path refuses with PASSWORD_CHANGE_REQUIRED until the password is changed', async ({ path }) => {
    const err = await callWithEmptyInput(app.caller({ sessionId }), path);
    expect(err, `${path} answered`).not.toBeNull();
    expect(err.code).toBe('FORBIDDEN');
    expect(err.reason).toBe('PASSWORD_CHANGE_REQUIRED');
  });

  it('is refused over HTTP too, with the reason in the error data', async () => {
    const client = httpClient(app.url, { sessionId, origin: app.origin });
    const err = await client.admin.organisations.list.query().catch((e: any) => e);
    expect(err.data).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403, reason: 'PASSWORD_CHANGE_REQUIRED' });
  });

  it('after the change: the flag clears, other sessions end, this one keeps working and nothing is blocked', async () => {
    const caller = app.caller({ sessionId });
    const r = await caller.auth.changePassword({ currentPassword: user.password!, newPassword: 'a brand new secret', confirmPassword: 'a brand new secret' });
    expect(r).toEqual({ ok: true, otherSessionsRevoked: 1 });
    expect(await sqlCount(app, `select count(*) from app_user where id = ? and must_change_password`, [user.id])).toBe(0);
    expect((await app.caller({ sessionId: otherSessionId }).auth.me()).user).toBeNull();
    expect((await caller.auth.me()).user?.mustChangePassword).toBe(false);
    // Subscriptions would now stream (and wait for events), so only queries and mutations are re-called.
    for (const { path } of blocked.filter((b) => b.type !== 'subscription')) {
      const err = await callWithEmptyInput(app.caller({ sessionId }), path);
      if (err) expect(err.reason, path).not.toBe('PASSWORD_CHANGE_REQUIRED');
    }
    const [ev] = await sql(app, `select data from domain_event where type = 'user.password_changed' and user_id = ?`, [user.id]);
    expect(ev.data.via).toBe('forced_change');
  });
});
