import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, developerSession, insertUser } from '../../support/users.js';

type Caller = Awaited<ReturnType<typeof adminSession>>['caller'];

const err = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: any) => e,
  );

describe('organisations', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let caller: Caller;
  let n = 0;
  const name = (base = 'Org') => `${base} ${Date.now().toString(36)}-${++n}`;

  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
    caller = admin.caller;
  });
  afterAll(() => app.stop());

  it('lists the default organisation first, with user counts', async () => {
    const org = await caller.admin.organisations.create({ name: name('Acme') });
    const u = await insertUser(app);
    await sql(app, `update app_user set organisation_id = ? where id = ?`, [org.id, u.id]);
    const { items } = await caller.admin.organisations.list();
    expect(items[0]!.isDefault).toBe(true);
    expect(items.find((o) => o.id === org.id)).toMatchObject({ name: org.name, isDefault: false, userCount: 1 });
    const defaultCount = await sqlCount(app, `select count(*) from app_user where organisation_id = (select id from organisation where is_default)`);
    expect(items[0]!.userCount).toBe(defaultCount);
  });

  it('creates one, trims the name and appends organisation.created with the acting admin', async () => {
    const n1 = name('Globex');
    const org = await caller.admin.organisations.create({ name: `  ${n1}  ` });
    expect(org.name).toBe(n1);
    const [ev] = await sql(app, `select actor_id, data from domain_event where type = 'organisation.created' and data->'organisation'->>'id' = ?`, [org.id]);
    expect(ev.actor_id).toBe(admin.id);
    expect(ev.data.organisation.name).toBe(n1);
  });

  it('refuses a name that differs only in letter case, as a field error', async () => {
    const n1 = name('Initech');
    await caller.admin.organisations.create({ name: n1 });
    const e = await err(caller.admin.organisations.create({ name: n1.toUpperCase() }));
    expect(e.code).toBe('CONFLICT');
    expect(e.data?.reason ?? e.reason).toBe('NAME_TAKEN');
    expect(e.fieldErrors.name).toMatch(/already exists/);
    expect(await sqlCount(app, `select count(*) from organisation where lower(name) = lower(?)`, [n1])).toBe(1);
  });

  it('two admins creating the same name at once: exactly one wins, the other is told', async () => {
    const other = await adminSession(app);
    const n1 = name('Race');
    const results = await Promise.allSettled([
      caller.admin.organisations.create({ name: n1 }),
      other.caller.admin.organisations.create({ name: n1.toLowerCase() }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.reason).toBe('NAME_TAKEN');
  });

  it('renames, records the previous name, and allows a change of letter case only', async () => {
    const org = await caller.admin.organisations.create({ name: name('Umbrella') });
    const renamed = await caller.admin.organisations.rename({ id: org.id, name: org.name.toUpperCase() });
    expect(renamed.name).toBe(org.name.toUpperCase());
    const [ev] = await sql(app, `select data from domain_event where type = 'organisation.renamed' and data->'organisation'->>'id' = ?`, [org.id]);
    expect(ev.data).toEqual({ organisation: { id: org.id, name: org.name.toUpperCase() }, previousName: org.name });
  });

  it('refuses renaming onto another organisation’s name', async () => {
    const a = await caller.admin.organisations.create({ name: name('Alpha') });
    const b = await caller.admin.organisations.create({ name: name('Beta') });
    const e = await err(caller.admin.organisations.rename({ id: b.id, name: a.name }));
    expect(e.reason).toBe('NAME_TAKEN');
    expect((await sql(app, `select name from organisation where id = ?`, [b.id]))[0].name).toBe(b.name);
  });

  it('with the version the admin saw, a rename or delete after someone else’s rename is refused and changes nothing', async () => {
    const org = await caller.admin.organisations.create({ name: name('Seen') });
    const other = await adminSession(app);
    const theirs = await other.caller.admin.organisations.rename({ id: org.id, name: name('Theirs'), expectedVersion: org.version });
    expect(theirs.version).toBe(org.version + 1);

    const e = await err(caller.admin.organisations.rename({ id: org.id, name: name('Mine'), expectedVersion: org.version }));
    expect(e.code).toBe('CONFLICT');
    expect(e.reason).toBe('ORGANISATION_CHANGED');
    expect(e.details.organisation).toMatchObject({ id: org.id, name: theirs.name, version: theirs.version });
    const d = await err(caller.admin.organisations.delete({ id: org.id, expectedVersion: org.version }));
    expect(d.reason).toBe('ORGANISATION_CHANGED');
    expect(await sql(app, `select name, version from organisation where id = ?`, [org.id])).toEqual([{ name: theirs.name, version: theirs.version }]);
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'organisation.renamed' and data->'organisation'->>'id' = ?`, [org.id])).toBe(1);

    // With the current version, both go through.
    const mine = await caller.admin.organisations.rename({ id: org.id, name: name('Mine'), expectedVersion: theirs.version });
    await caller.admin.organisations.delete({ id: org.id, expectedVersion: mine.version });
    expect(await sqlCount(app, `select count(*) from organisation where id = ?`, [org.id])).toBe(0);
  });

  it('refuses a malformed version (BAD_REQUEST on the field)', async () => {
    const org = await caller.admin.organisations.create({ name: name('Versioned') });
    for (const bad of [0, -1, 1.5, '2', Number.NaN]) {
      const e = await err(caller.admin.organisations.rename({ id: org.id, name: name('X'), expectedVersion: bad as number }));
      expect(e.code).toBe('BAD_REQUEST');
      const issues = JSON.parse(e.cause.message) as { path: string[]; message: string }[];
      expect(issues).toEqual([expect.objectContaining({ path: ['expectedVersion'], message: 'Invalid version' })]);
    }
    expect((await sql(app, `select name from organisation where id = ?`, [org.id]))[0].name).toBe(org.name);
  });

  it('deletes an empty organisation and appends organisation.deleted', async () => {
    const org = await caller.admin.organisations.create({ name: name('Empty') });
    await caller.admin.organisations.delete({ id: org.id });
    expect(await sqlCount(app, `select count(*) from organisation where id = ?`, [org.id])).toBe(0);
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'organisation.deleted' and data->'organisation'->>'id' = ?`, [org.id])).toBe(1);
  });

  it('refuses to delete an organisation with users, and says how many', async () => {
    const org = await caller.admin.organisations.create({ name: name('Busy') });
    const u = await insertUser(app);
    await sql(app, `update app_user set organisation_id = ? where id = ?`, [org.id, u.id]);
    const e = await err(caller.admin.organisations.delete({ id: org.id }));
    expect(e.reason).toBe('ORGANISATION_NOT_EMPTY');
    expect(e.message).toMatch(/1 user/);
    expect(await sqlCount(app, `select count(*) from organisation where id = ?`, [org.id])).toBe(1);
  });

  it('never deletes the default organisation', async () => {
    const [def] = await sql(app, `select id from organisation where is_default`);
    const e = await err(caller.admin.organisations.delete({ id: def.id }));
    expect(e.reason).toBe('ORGANISATION_IS_DEFAULT');
    expect(await sqlCount(app, `select count(*) from organisation where is_default`)).toBe(1);
  });

  it('a delete racing with a user being moved in never leaves the user without an organisation', async () => {
    for (let i = 0; i < 5; i++) {
      const org = await caller.admin.organisations.create({ name: name('Moving') });
      const u = await insertUser(app);
      const [del, move] = await Promise.allSettled([
        caller.admin.organisations.delete({ id: org.id }),
        sql(app, `update app_user set organisation_id = ? where id = ?`, [org.id, u.id]),
      ]);
      const [row] = await sql(app, `select o.id from app_user u join organisation o on o.id = u.organisation_id where u.id = ?`, [u.id]);
      expect(row, 'the user still belongs to an existing organisation').toBeDefined();
      if (del.status === 'fulfilled') expect(move.status).toBe('rejected');
      else expect(del.reason.reason).toBe('ORGANISATION_NOT_EMPTY');
    }
  });

  it('answers NOT_FOUND for an unknown id and a field error for hostile names', async () => {
    const e1 = await err(caller.admin.organisations.rename({ id: '00000000-0000-4000-8000-000000000000', name: 'Whatever' }));
    expect(e1.code).toBe('NOT_FOUND');
    for (const bad of ['', '   ', 'a'.repeat(121), 'Evil\r\nBcc: x@y.z', 'x\u0000y']) {
      const e = await err(caller.admin.organisations.create({ name: bad }));
      expect(e.code, JSON.stringify(bad)).toBe('BAD_REQUEST');
    }
    const e3 = await err(caller.admin.organisations.delete({ id: "1' or '1'='1" }));
    expect(e3.code).toBe('BAD_REQUEST');
    const e4 = await err((caller.admin.organisations.create as any)({ name: { $ne: 1 } }));
    expect(e4.code).toBe('BAD_REQUEST');
  });

  it('refuses developers on every organisation procedure', async () => {
    const dev = await developerSession(app);
    for (const call of [
      () => dev.caller.admin.organisations.list(),
      () => dev.caller.admin.organisations.create({ name: name('Nope') }),
      () => dev.caller.admin.organisations.rename({ id: '00000000-0000-4000-8000-000000000000', name: 'x' }),
      () => dev.caller.admin.organisations.delete({ id: '00000000-0000-4000-8000-000000000000' }),
    ]) {
      expect((await err(call())).code).toBe('FORBIDDEN');
    }
  });
});
