import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, developerSession, insertUser, loginAs } from '../../support/users.js';

const err = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: any) => e,
  );

describe('admin.users.update (Edit user) and the last-admin guard', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let defaultOrg: string;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
    defaultOrg = (await sql(app, `select id from organisation where is_default`))[0].id;
  });
  afterAll(() => app.stop());

  async function current(id: string) {
    const [r] = await sql(app, `select first_name, last_name, organisation_id, role, version from app_user where id = ?`, [id]);
    return r;
  }
  const editIn = (organisationId: string, id: string, version: number, over: Record<string, unknown> = {}) => ({
    userId: id,
    expectedVersion: version,
    firstName: 'Test',
    lastName: 'User',
    organisationId,
    role: 'developer' as const,
    ...over,
  });
  const edit = (id: string, version: number, over: Record<string, unknown> = {}) => editIn(defaultOrg, id, version, over);

  it('edits the name, moves the user to another organisation, and appends user.updated with the changes', async () => {
    const u = await insertUser(app);
    const org = await admin.caller.admin.organisations.create({ name: `Moved here ${Date.now()}` });
    const r = await admin.caller.admin.users.update(edit(u.id, 1, { firstName: 'Katherine', lastName: 'Johnson', organisationId: org.id }));
    expect(r.user).toMatchObject({ firstName: 'Katherine', lastName: 'Johnson', organisationId: org.id, organisationName: org.name, version: 2 });
    expect(r.changes).toEqual({
      firstName: { from: 'Test', to: 'Katherine' },
      lastName: { from: 'User', to: 'Johnson' },
      organisation: { from: 'Default organisation', to: org.name },
    });
    const [ev] = await sql(app, `select actor_id, data from domain_event where type = 'user.updated' and user_id = ?`, [u.id]);
    expect(ev.actor_id).toBe(admin.id);
    expect(ev.data.changes).toEqual(r.changes);
    expect(ev.data.user.version).toBe(2);
    const { items } = await admin.caller.admin.organisations.list();
    expect(items.find((o) => o.id === org.id)?.userCount).toBe(1);
  });

  it('promotes a developer to admin: the new admin can use admin procedures at once', async () => {
    const u = await insertUser(app);
    const sessionId = await loginAs(app, u.email, u.password!);
    expect((await err(app.caller({ sessionId }).admin.organisations.list())).code).toBe('FORBIDDEN');
    await admin.caller.admin.users.update(edit(u.id, 1, { role: 'admin' }));
    expect((await app.caller({ sessionId }).admin.organisations.list()).items.length).toBeGreaterThan(0);
  });

  it('changes nothing (and appends nothing) when nothing differs', async () => {
    const u = await insertUser(app);
    const r = await admin.caller.admin.users.update(edit(u.id, 1));
    expect(r.changes).toEqual({});
    expect((await current(u.id)).version).toBe(1);
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'user.updated' and user_id = ?`, [u.id])).toBe(0);
  });

  it('refuses a stale version with USER_CHANGED and the current state; the first edit stays', async () => {
    const u = await insertUser(app);
    await admin.caller.admin.users.update(edit(u.id, 1, { firstName: 'First' }));
    const e = await err(admin.caller.admin.users.update(edit(u.id, 1, { firstName: 'Second' })));
    expect(e.code).toBe('CONFLICT');
    expect(e.reason).toBe('USER_CHANGED');
    expect(e.details.user).toMatchObject({ firstName: 'First', version: 2 });
    expect((await current(u.id)).first_name).toBe('First');
  });

  it('two admins editing one user at once from the same version: exactly one wins', async () => {
    const u = await insertUser(app);
    const other = await adminSession(app);
    const results = await Promise.allSettled([
      admin.caller.admin.users.update(edit(u.id, 1, { lastName: 'FromA' })),
      other.caller.admin.users.update(edit(u.id, 1, { lastName: 'FromB' })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.reason).toBe('USER_CHANGED');
    expect((await current(u.id)).version).toBe(2);
  });

  it('an admin cannot demote the last active admin (themselves included)', async () => {
    // A fresh app: exactly one active admin.
    const solo = await startTestApp();
    const soloOrg = (await sql(solo, `select id from organisation where is_default`))[0].id;
    const edit = (id: string, version: number, over: Record<string, unknown> = {}) => editIn(soloOrg, id, version, over);
    try {
      const only = await adminSession(solo);
      const inactiveAdmin = await insertUser(solo, { role: 'admin', status: 'inactive' });
      expect(inactiveAdmin).toBeDefined();
      const e = await err(only.caller.admin.users.update(edit(only.id, 1, { role: 'developer' })));
      expect(e.code).toBe('CONFLICT');
      expect(e.reason).toBe('LAST_ADMIN');
      expect((await sql(solo, `select role from app_user where id = ?`, [only.id]))[0].role).toBe('admin');
      // Editing the last admin's name is fine.
      await only.caller.admin.users.update(edit(only.id, 1, { role: 'admin', firstName: 'Solo' }));
    } finally {
      await solo.stop();
    }
  });

  it('two admins demoting each other at once: one admin remains, the other is told LAST_ADMIN', async () => {
    const solo = await startTestApp();
    const soloOrg = (await sql(solo, `select id from organisation where is_default`))[0].id;
    const edit = (id: string, version: number, over: Record<string, unknown> = {}) => editIn(soloOrg, id, version, over);
    try {
      for (let round = 0; round < 3; round++) {
        await solo.services.em().execute(`update app_user set role = 'developer' where role = 'admin'`);
        const a = await adminSession(solo);
        const b = await adminSession(solo);
        const results = await Promise.allSettled([
          a.caller.admin.users.update(edit(b.id, 1, { role: 'developer' })),
          b.caller.admin.users.update(edit(a.id, 1, { role: 'developer' })),
        ]);
        const admins = await solo.services.em().execute(`select id from app_user where role = 'admin' and status = 'active'`);
        expect(admins).toHaveLength(1);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        // The loser was either demoted before its check (no longer an admin) or refused by the guard.
        expect(['LAST_ADMIN', undefined]).toContain(loser.reason.reason);
        if (loser.reason.reason === undefined) expect(loser.reason.code).toBe('FORBIDDEN');
      }
    } finally {
      await solo.stop();
    }
  });

  it('demoting and deactivating the two remaining admins at once leaves one active admin', async () => {
    const solo = await startTestApp();
    const soloOrg = (await sql(solo, `select id from organisation where is_default`))[0].id;
    const edit = (id: string, version: number, over: Record<string, unknown> = {}) => editIn(soloOrg, id, version, over);
    try {
      const a = await adminSession(solo);
      const b = await adminSession(solo);
      const results = await Promise.allSettled([
        a.caller.admin.users.update(edit(b.id, 1, { role: 'developer' })),
        b.caller.admin.users.deactivate({ userId: a.id, expectedVersion: 1 }),
      ]);
      const admins = await solo.services.em().execute(`select id from app_user where role = 'admin' and status = 'active'`);
      expect(admins).toHaveLength(1);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    } finally {
      await solo.stop();
    }
  });

  it('answers NOT_FOUND for an unknown user and a field error for an unknown organisation', async () => {
    const e1 = await err(admin.caller.admin.users.update(edit('00000000-0000-4000-8000-000000000000', 1)));
    expect(e1.code).toBe('NOT_FOUND');
    const u = await insertUser(app);
    const e2 = await err(admin.caller.admin.users.update(edit(u.id, 1, { organisationId: '00000000-0000-4000-8000-000000000000' })));
    expect(e2.fieldErrors.organisationId).toMatch(/no longer exists/);
    expect((await current(u.id)).version).toBe(1);
  });

  it('refuses hostile input and developers', async () => {
    const u = await insertUser(app);
    for (const over of [
      { role: 'owner' },
      { role: 'superadmin' },
      { firstName: '' },
      { lastName: 'a\u0000b' },
      { expectedVersion: 0 },
      { expectedVersion: '1' },
      { userId: 'x' },
      { status: 'active' },
    ]) {
      const e = await err((admin.caller.admin.users.update as any)({ ...edit(u.id, 1), ...over }));
      expect(e?.code, JSON.stringify(over)).toBe('BAD_REQUEST');
    }
    const dev = await developerSession(app);
    expect((await err(dev.caller.admin.users.update(edit(dev.id, 1, { role: 'admin' })))).code).toBe('FORBIDDEN');
    expect((await current(dev.id)).role).toBe('developer');
  });
});
