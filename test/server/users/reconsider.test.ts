import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, type TestApp } from '../../support/app.js';
import { adminSession, developerSession, insertUser, loginAs } from '../../support/users.js';

const PASSWORD = 'a fine passphrase';

async function row(app: TestApp, id: string) {
  const [r] = await sql(app, `select status, version, rejection_reason from app_user where id = ?`, [id]);
  return r as { status: string; version: number; rejection_reason: string | null };
}
async function mails(app: TestApp, userId: string) {
  return sql<{ template: string; to_address: string; variables: any }>(
    app,
    `select template, to_address, variables from email_outbox where user_id = ? order by id`,
    [userId],
  );
}
async function events(app: TestApp, userId: string) {
  return sql<{ type: string; actor_id: string; data: any }>(
    app,
    `select type, actor_id, data from domain_event where user_id = ? and type like 'user.%' order by id`,
    [userId],
  );
}
async function failure(p: Promise<unknown>) {
  return p.then(
    () => null,
    (e: any) => e,
  );
}

describe('admin.users.reconsider: a rejected registration moved back to pending or activated', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
  });
  afterAll(() => app.stop());

  /** A pending user rejected by the admin (version 2, one registration-rejected email). */
  async function rejected(firstName = 'Rita') {
    const u = await insertUser(app, { status: 'pending', password: PASSWORD, firstName });
    await admin.caller.admin.users.reject({ userId: u.id, expectedVersion: 1, reason: 'Company addresses only.' });
    return u;
  }

  it('back to pending without an email: reason cleared, version bumped, user.reconsidered by the admin, no email', async () => {
    const u = await rejected();
    const res = await admin.caller.admin.users.reconsider({ userId: u.id, expectedVersion: 2, to: 'pending', notify: false });
    expect(res.user).toMatchObject({ id: u.id, status: 'pending', version: 3 });
    expect(await row(app, u.id)).toEqual({ status: 'pending', version: 3, rejection_reason: null });
    expect((await mails(app, u.id)).map((m) => m.template)).toEqual(['registration-rejected']);
    const ev = await events(app, u.id);
    expect(ev.map((e) => e.type)).toEqual(['user.rejected', 'user.reconsidered']);
    expect(ev[1]).toMatchObject({
      actor_id: admin.id,
      data: { previousStatus: 'rejected', emailed: false, user: { id: u.id, status: 'pending', version: 3 } },
    });
    // Pending again: the login says so instead of "declined".
    const err = await failure(app.caller().auth.login({ email: u.email, password: PASSWORD }));
    expect(err.reason).toBe('ACCOUNT_PENDING');
    // …and it is in the pending queue again.
    const queue = await admin.caller.admin.users.bulk.pending({});
    expect(queue.items.some((x: { id: string }) => x.id === u.id)).toBe(true);
  });

  it('back to pending with an email: registration-reconsidered is queued to the user', async () => {
    const u = await rejected('Remy');
    await admin.caller.admin.users.reconsider({ userId: u.id, expectedVersion: 2, to: 'pending', notify: true });
    const m = await mails(app, u.id);
    expect(m.map((x) => x.template)).toEqual(['registration-rejected', 'registration-reconsidered']);
    expect(m[1]).toMatchObject({ to_address: u.email, variables: { firstName: 'Remy' } });
    expect((await events(app, u.id)).at(-1)).toMatchObject({ type: 'user.reconsidered', data: { emailed: true } });
  });

  it('activated with an email: account-activated with the login link, and the user can log in', async () => {
    const u = await rejected('Ada');
    const res = await admin.caller.admin.users.reconsider({ userId: u.id, expectedVersion: 2, to: 'active', notify: true });
    expect(res.user.status).toBe('active');
    const m = await mails(app, u.id);
    expect(m.map((x) => x.template)).toEqual(['registration-rejected', 'account-activated']);
    expect(m[1]!.variables).toEqual({ firstName: 'Ada', loginUrl: `${app.services.publicUrl()}/login` });
    expect((await events(app, u.id)).at(-1)).toMatchObject({
      type: 'user.reconsidered',
      data: { previousStatus: 'rejected', emailed: true, user: { status: 'active' } },
    });
    expect(await loginAs(app, u.email, PASSWORD)).toBeTruthy();
  });

  it('activated without an email sends nothing', async () => {
    const u = await rejected();
    await admin.caller.admin.users.reconsider({ userId: u.id, expectedVersion: 2, to: 'active', notify: false });
    expect((await row(app, u.id)).status).toBe('active');
    expect((await mails(app, u.id)).map((x) => x.template)).toEqual(['registration-rejected']);
  });

  it('notify defaults to false', async () => {
    const u = await rejected();
    await admin.caller.admin.users.reconsider({ userId: u.id, expectedVersion: 2, to: 'pending' });
    expect((await mails(app, u.id)).map((x) => x.template)).toEqual(['registration-rejected']);
  });

  it('only a rejected user can be reconsidered: any other status is refused with INVALID_TRANSITION and nothing changes', async () => {
    for (const status of ['pending', 'active', 'inactive', 'invited', 'unverified'] as const) {
      const u = await insertUser(app, { status, password: status === 'invited' ? null : PASSWORD });
      const err = await failure(admin.caller.admin.users.reconsider({ userId: u.id, expectedVersion: 1, to: 'active', notify: true }));
      expect(err?.code, status).toBe('CONFLICT');
      expect(err.reason, status).toBe('INVALID_TRANSITION');
      expect(err.details.user).toMatchObject({ id: u.id, status, version: 1 });
      expect(await row(app, u.id)).toMatchObject({ status, version: 1 });
      expect(await mails(app, u.id)).toEqual([]);
      expect((await events(app, u.id)).filter((e) => e.type === 'user.reconsidered')).toEqual([]);
    }
  });

  it('a stale version is refused with USER_CHANGED and the current state; of two admins racing exactly one wins', async () => {
    const u = await rejected();
    const stale = await failure(admin.caller.admin.users.reconsider({ userId: u.id, expectedVersion: 1, to: 'active', notify: true }));
    expect(stale.code).toBe('CONFLICT');
    expect(stale.reason).toBe('USER_CHANGED');
    expect(stale.details.user).toMatchObject({ id: u.id, status: 'rejected', version: 2 });
    expect(await row(app, u.id)).toMatchObject({ status: 'rejected', version: 2 });

    const admin2 = await adminSession(app);
    const results = await Promise.allSettled([
      admin.caller.admin.users.reconsider({ userId: u.id, expectedVersion: 2, to: 'active', notify: true }),
      admin2.caller.admin.users.reconsider({ userId: u.id, expectedVersion: 2, to: 'pending', notify: true }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason.reason).toBe('USER_CHANGED');
    expect((await events(app, u.id)).filter((e) => e.type === 'user.reconsidered')).toHaveLength(1);
    expect((await mails(app, u.id)).filter((m) => m.template !== 'registration-rejected')).toHaveLength(1);
  });

  it('a developer is refused and nothing changes', async () => {
    const u = await rejected();
    const dev = await developerSession(app);
    const err = await failure(dev.caller.admin.users.reconsider({ userId: u.id, expectedVersion: 2, to: 'active', notify: true }));
    expect(err.code).toBe('FORBIDDEN');
    expect(await row(app, u.id)).toMatchObject({ status: 'rejected', version: 2 });
  });

  it('bad input is refused: an unknown target, a missing version', async () => {
    const u = await rejected();
    const bad = await failure(admin.caller.admin.users.reconsider({ userId: u.id, expectedVersion: 2, to: 'inactive' as any }));
    expect(bad.code).toBe('BAD_REQUEST');
    const noVersion = await failure(admin.caller.admin.users.reconsider({ userId: u.id, to: 'active' } as any));
    expect(noVersion.code).toBe('BAD_REQUEST');
    expect(await row(app, u.id)).toMatchObject({ status: 'rejected', version: 2 });
  });
});
