import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, sqlCount, type TestApp } from '../../support/app.js';
import { adminSession, developerSession, insertUser, loginAs } from '../../support/users.js';
import { httpClient, rawPost, wsClient } from '../../support/http.js';
import { deactivateUser, deleteUser } from '../../../server/users/users.service.js';
import { setRequireEmailVerification } from '../../support/verify.js';

const PASSWORD = 'a fine passphrase';

async function row(app: TestApp, id: string) {
  const [r] = await sql(app, `select status, version, rejection_reason from app_user where id = ?`, [id]);
  return r as { status: string; version: number; rejection_reason: string | null } | undefined;
}
async function events(app: TestApp, userId: string) {
  return sql<{ type: string; actor_id: string; data: any }>(
    app,
    `select type, actor_id, data from domain_event where user_id = ? and type like 'user.%' order by id`,
    [userId],
  );
}
async function mails(app: TestApp, userId: string) {
  return sql<{ template: string; to_address: string; variables: any }>(
    app,
    `select template, to_address, variables from email_outbox where user_id = ? order by id`,
    [userId],
  );
}

describe('admin decisions on a user', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let admin2: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
    admin2 = await adminSession(app);
  });
  afterAll(() => app.stop());

  it('Activate developer: pending → active, version bumped, account-activated email and user.activated event by the admin', async () => {
    const u = await insertUser(app, { status: 'pending', firstName: 'Pia' });
    const res = await admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 });
    expect(res.user).toMatchObject({ id: u.id, status: 'active', version: 2, email: u.email });
    expect(await row(app, u.id)).toMatchObject({ status: 'active', version: 2 });
    const m = await mails(app, u.id);
    expect(m).toEqual([{ template: 'account-activated', to_address: u.email, variables: { firstName: 'Pia', loginUrl: `${app.services.publicUrl()}/login` } }]);
    const ev = await events(app, u.id);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({
      type: 'user.activated',
      actor_id: admin.id,
      data: { previousStatus: 'pending', user: { id: u.id, status: 'active', version: 2 } },
    });
  });

  it('Activate developer also re-activates a deactivated user', async () => {
    const u = await insertUser(app, { status: 'inactive' });
    const res = await admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 });
    expect(res.user.status).toBe('active');
    expect((await events(app, u.id))[0]).toMatchObject({ type: 'user.activated', data: { previousStatus: 'inactive' } });
  });

  it('Reject with a reason: pending → rejected, reason stored, registration-rejected email carries it, user.rejected event', async () => {
    const u = await insertUser(app, { status: 'pending', firstName: 'Rex' });
    const res = await admin.caller.admin.users.reject({ userId: u.id, expectedVersion: 1, reason: '  Company addresses only.\nSorry!  ' });
    expect(res.user.status).toBe('rejected');
    expect(await row(app, u.id)).toMatchObject({ status: 'rejected', version: 2, rejection_reason: 'Company addresses only.\nSorry!' });
    expect(await mails(app, u.id)).toEqual([
      { template: 'registration-rejected', to_address: u.email, variables: { firstName: 'Rex', reason: 'Company addresses only.\nSorry!' } },
    ]);
    expect(await events(app, u.id)).toMatchObject([
      { type: 'user.rejected', actor_id: admin.id, data: { reason: 'Company addresses only.\nSorry!', user: { status: 'rejected' } } },
    ]);
  });

  it('Reject without a reason (empty or omitted) stores none', async () => {
    const a = await insertUser(app, { status: 'pending' });
    const b = await insertUser(app, { status: 'pending' });
    await admin.caller.admin.users.reject({ userId: a.id, expectedVersion: 1, reason: '   ' });
    await admin.caller.admin.users.reject({ userId: b.id, expectedVersion: 1 });
    for (const id of [a.id, b.id]) {
      expect((await row(app, id))!.rejection_reason).toBeNull();
      expect((await mails(app, id))[0]!.variables.reason).toBeNull();
      expect((await events(app, id))[0]!.data.reason).toBeNull();
    }
  });

  it('Activating a rejected user later clears the rejection reason', async () => {
    const u = await insertUser(app, { status: 'pending' });
    await admin.caller.admin.users.reject({ userId: u.id, expectedVersion: 1, reason: 'No' });
    await app.services.em().execute(`update app_user set status = 'inactive', version = version + 1 where id = ?`, [u.id]);
    await admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 3 });
    expect(await row(app, u.id)).toMatchObject({ status: 'active', rejection_reason: null });
  });

  it('Deactivate: active → inactive, every session revoked in the same step, user.deactivated event, no email', async () => {
    const dev = await developerSession(app);
    const second = await loginAs(app, dev.email, dev.password!);
    const http = httpClient(app.url, { sessionId: dev.sessionId, origin: app.origin });
    expect((await http.auth.me.query()).user?.id).toBe(dev.id);
    const ws = wsClient(app.url, { sessionId: second, origin: app.origin });
    try {
      expect((await ws.trpc.auth.me.query()).user?.id).toBe(dev.id);

      const res = await admin.caller.admin.users.deactivate({ userId: dev.id, expectedVersion: 1 });
      expect(res.user.status).toBe('inactive');
      expect(await sqlCount(app, `select count(*) from user_session where user_id = ?`, [dev.id])).toBe(0);

      // Both the HTTP cookie and the already-open WebSocket are logged out on their next call.
      expect((await http.auth.me.query()).user).toBeNull();
      expect((await ws.trpc.auth.me.query()).user).toBeNull();
    } finally {
      await ws.close();
    }
    expect(await events(app, dev.id)).toMatchObject([{ type: 'user.deactivated', actor_id: admin.id, data: { user: { status: 'inactive' } } }]);
    expect(await mails(app, dev.id)).toEqual([]);
  });

  it('Deactivating an admin ends their admin access on an open WebSocket at the next call', async () => {
    const other = await adminSession(app);
    const ws = wsClient(app.url, { sessionId: other.sessionId, origin: app.origin });
    try {
      expect((await ws.trpc.admin.users.list.query({ limit: 1 })).items).toHaveLength(1);
      await admin.caller.admin.users.deactivate({ userId: other.id, expectedVersion: 1 });
      const err = await ws.trpc.admin.users.list.query({ limit: 1 }).catch((e: any) => e);
      expect(err.data?.code).toBe('FORBIDDEN');
    } finally {
      await ws.close();
    }
  });

  it('Delete: the user and its sessions are gone, user.deleted keeps the snapshot, the timeline remains', async () => {
    const dev = await developerSession(app);
    const res = await admin.caller.admin.users.delete({ userId: dev.id, expectedVersion: 1 });
    expect(res).toEqual({ ok: true, userId: dev.id });
    expect(await row(app, dev.id)).toBeUndefined();
    expect(await sqlCount(app, `select count(*) from user_session where user_id = ?`, [dev.id])).toBe(0);
    expect(await events(app, dev.id)).toMatchObject([{ type: 'user.deleted', actor_id: admin.id, data: { user: { id: dev.id, email: dev.email } } }]);
    expect(await mails(app, dev.id)).toEqual([]);
    const err = await admin.caller.admin.users.get({ userId: dev.id }).catch((e) => e);
    expect(err.code).toBe('NOT_FOUND');
    const tl = await admin.caller.admin.users.timeline({ userId: dev.id });
    expect(tl.items.filter((e) => e.type.startsWith('user.')).map((e) => e.type)).toEqual(['user.deleted']);
    expect((await app.caller({ sessionId: dev.sessionId }).auth.me()).user).toBeNull();
  });

  it('refuses an action that does not fit the status (INVALID_TRANSITION) and changes nothing', async () => {
    const active = await insertUser(app, { status: 'active' });
    const pending = await insertUser(app, { status: 'pending' });
    const rejected = await insertUser(app, { status: 'rejected' });
    const attempts: [() => Promise<unknown>, string][] = [
      [() => admin.caller.admin.users.activate({ userId: active.id, expectedVersion: 1 }), active.id],
      [() => admin.caller.admin.users.reject({ userId: active.id, expectedVersion: 1 }), active.id],
      [() => admin.caller.admin.users.deactivate({ userId: pending.id, expectedVersion: 1 }), pending.id],
      [() => admin.caller.admin.users.activate({ userId: rejected.id, expectedVersion: 1 }), rejected.id],
      [() => admin.caller.admin.users.reject({ userId: rejected.id, expectedVersion: 1 }), rejected.id],
    ];
    for (const [act, id] of attempts) {
      const err: any = await act().catch((e) => e);
      expect(err.code).toBe('CONFLICT');
      expect(err.reason).toBe('INVALID_TRANSITION');
      expect(err.details.user.id).toBe(id);
      expect((await row(app, id))!.version).toBe(1);
      expect(await events(app, id)).toEqual([]);
      expect(await mails(app, id)).toEqual([]);
    }
  });

  it('refuses a stale version with USER_CHANGED and the current state', async () => {
    const u = await insertUser(app, { status: 'pending' });
    await app.services.em().execute(`update app_user set first_name = 'Renamed', version = 2 where id = ?`, [u.id]);
    const err: any = await admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 }).catch((e) => e);
    expect(err.code).toBe('CONFLICT');
    expect(err.reason).toBe('USER_CHANGED');
    expect(err.details.user).toMatchObject({ id: u.id, firstName: 'Renamed', status: 'pending', version: 2 });
    expect(await row(app, u.id)).toMatchObject({ status: 'pending', version: 2 });
  });

  it('answers NOT_FOUND for an unknown user', async () => {
    for (const act of ['activate', 'reject', 'deactivate', 'delete'] as const) {
      const err: any = await (admin.caller.admin.users[act] as any)({ userId: '00000000-0000-4000-8000-000000000000', expectedVersion: 1 }).catch(
        (e: any) => e,
      );
      expect(err.code, act).toBe('NOT_FOUND');
      expect(err.reason).toBe('NOT_FOUND');
    }
  });

  it('two admins deciding on one user at once: exactly one wins, the other is told the user changed and sees it', async () => {
    for (let round = 0; round < 5; round++) {
      const u = await insertUser(app, { status: 'pending' });
      const results = await Promise.allSettled([
        admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 }),
        admin2.caller.admin.users.reject({ userId: u.id, expectedVersion: 1, reason: 'Not now' }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const err = lost[0]!.reason;
      expect(err.reason).toBe('USER_CHANGED');
      const final = await row(app, u.id);
      expect(final!.version).toBe(2);
      expect(err.details.user).toMatchObject({ id: u.id, status: final!.status, version: 2 });
      expect(await events(app, u.id)).toHaveLength(1);
      expect(await mails(app, u.id)).toHaveLength(1);
    }
    // The same decision twice at once: still exactly one.
    const u = await insertUser(app, { status: 'pending' });
    const same = await Promise.allSettled([
      admin.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 }),
      admin2.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 }),
    ]);
    expect(same.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await mails(app, u.id)).toHaveLength(1);
  });

  it('an admin cannot deactivate or delete their own account', async () => {
    for (const act of ['deactivate', 'delete'] as const) {
      const err: any = await admin.caller.admin.users[act]({ userId: admin.id, expectedVersion: 1 }).catch((e) => e);
      expect(err.reason).toBe('SELF_ACTION');
    }
    expect(await row(app, admin.id)).toMatchObject({ status: 'active' });
  });

  it('rejects hostile and malformed input with field errors and changes nothing', async () => {
    const u = await insertUser(app, { status: 'pending' });
    const cookie = { cookie: `admit_session=${admin.sessionId}`, origin: app.origin };
    const cases: [string, Record<string, unknown>, string][] = [
      ['admin.users.activate', { userId: 'not-a-uuid', expectedVersion: 1 }, 'userId'],
      ['admin.users.activate', { userId: u.id, expectedVersion: '1' }, 'expectedVersion'],
      ['admin.users.activate', { userId: u.id }, 'expectedVersion'],
      ['admin.users.deactivate', { userId: [u.id], expectedVersion: 1 }, 'userId'],
      ['admin.users.reject', { userId: u.id, expectedVersion: 1, reason: 'x'.repeat(10_000) }, 'reason'],
      ['admin.users.reject', { userId: u.id, expectedVersion: 1, reason: 'ok\u0000<script>' }, 'reason'],
      ['admin.users.reject', { userId: u.id, expectedVersion: 1, reason: { $ne: null } }, 'reason'],
      ['admin.users.delete', { userId: `${u.id}' or 1=1 --`, expectedVersion: 1 }, 'userId'],
    ];
    for (const [path, body, field] of cases) {
      const res = await rawPost(app.url, path, body, cookie);
      expect(res.status, `${path} ${field}`).toBe(400);
      const json = await res.json();
      expect(json.error.data.fieldErrors?.[field], JSON.stringify(json.error)).toBeTruthy();
      expect(JSON.stringify(json)).not.toMatch(/stack|at \w+ \(/);
    }
    expect(await row(app, u.id)).toMatchObject({ status: 'pending', version: 1 });
    expect(await events(app, u.id)).toEqual([]);
  });

  it('a developer cannot use any of these procedures', async () => {
    const dev = await developerSession(app);
    const u = await insertUser(app, { status: 'pending' });
    for (const act of ['activate', 'reject', 'deactivate', 'delete'] as const) {
      const err: any = await (dev.caller.admin.users[act] as any)({ userId: u.id, expectedVersion: 1 }).catch((e: any) => e);
      expect(err.code).toBe('FORBIDDEN');
    }
    expect(await row(app, u.id)).toMatchObject({ status: 'pending', version: 1 });
  });
});

describe('the last active admin', () => {
  it('two admins deactivating each other at once: one succeeds, the other is refused (LAST_ADMIN), an admin remains', async () => {
    const app = await startTestApp();
    try {
      const a = await adminSession(app);
      const b = await adminSession(app);
      const results = await Promise.allSettled([
        a.caller.admin.users.deactivate({ userId: b.id, expectedVersion: 1 }),
        b.caller.admin.users.deactivate({ userId: a.id, expectedVersion: 1 }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      // The loser either lost its own admin rights first (FORBIDDEN) or would have removed the last admin.
      expect(['LAST_ADMIN', undefined]).toContain(lost.reason.reason);
      expect(['CONFLICT', 'FORBIDDEN']).toContain(lost.reason.code);
      expect(await sqlCount(app, `select count(*) from app_user where role = 'admin' and status = 'active'`)).toBe(1);
    } finally {
      await app.stop();
    }
  });
});

describe('the last-admin guard in the service (as bulk decisions call it)', () => {
  it('refuses to deactivate or delete the only remaining active admin', async () => {
    const app = await startTestApp();
    try {
      const a = await adminSession(app);
      const b = await adminSession(app);
      // a has lost its rights in the meantime (e.g. a stale request); b is then the last active admin.
      await app.services.em().execute(`update app_user set status = 'inactive' where id = ?`, [a.id]);
      const actor = { id: a.id, email: a.email, firstName: 'A', lastName: 'A', role: 'admin' as const, status: 'active' as const, mustChangePassword: false };
      for (const fn of [deactivateUser, deleteUser]) {
        const err: any = await fn(app.services, actor, b.id, 1).catch((e) => e);
        expect(err.reason).toBe('LAST_ADMIN');
      }
      expect(await row(app, b.id)).toMatchObject({ status: 'active', version: 1 });
    } finally {
      await app.stop();
    }
  });
});

describe('user timeline', () => {
  it('lists the user’s events newest first with the acting admin’s name', async () => {
    // No mail worker: its email.* events would otherwise land between the reads compared below.
    const app = await startTestApp({ env: { MAIL_WORKER: 'false' } });
    try {
      const admin = await adminSession(app);
      await setRequireEmailVerification(app, false); // the timeline of a decision, not verification
      await app.services.em().execute(`update app_user set first_name = 'Alice', last_name = 'Admin' where id = ?`, [admin.id]);
      const email = `timeline.${Date.now()}@example.test`;
      await app.caller().auth.signup({ firstName: 'Tim', lastName: 'Line', email, password: PASSWORD, confirmPassword: PASSWORD });
      const [{ id }] = await sql(app, `select id from app_user where email = ?`, [email]);
      await admin.caller.admin.users.activate({ userId: id, expectedVersion: 1 });
      await admin.caller.admin.users.deactivate({ userId: id, expectedVersion: 2 });
      const tl = await admin.caller.admin.users.timeline({ userId: id });
      // The mail worker adds email.sent / email.failed events about the user too.
      expect(tl.items.filter((e) => e.type.startsWith('user.')).map((e) => [e.type, e.actorName])).toEqual([
        ['user.deactivated', 'Alice Admin'],
        ['user.activated', 'Alice Admin'],
        ['user.registered', 'Tim Line'],
      ]);
      expect(tl.nextBefore).toBeNull();
      const all = tl.items.map((e) => e.id);
      const page = await admin.caller.admin.users.timeline({ userId: id, limit: 2 });
      expect(page.items.map((e) => e.id)).toEqual(all.slice(0, 2));
      const rest = await admin.caller.admin.users.timeline({ userId: id, limit: 100, before: page.nextBefore });
      expect(rest.items.map((e) => e.id)).toEqual(all.slice(2));

      const detail = await admin.caller.admin.users.get({ userId: id });
      expect(detail).toMatchObject({
        id,
        firstName: 'Tim',
        lastName: 'Line',
        email,
        role: 'developer',
        status: 'inactive',
        hasPassword: true,
        mustChangePassword: false,
        rejectionReason: null,
        version: 3,
      });
      expect(detail.organisation.name).toBeTruthy();
    } finally {
      await app.stop();
    }
  });
});
