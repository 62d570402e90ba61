import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, developerSession } from '../../support/users.js';
import { httpClient } from '../../support/http.js';

const err = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: any) => e,
  );

describe('account.* (developer home): own details and name change', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('account.get: the details with the organisation; no terms before any are published, then the version accepted', async () => {
    const dev = await developerSession(app);
    const a = await dev.caller.account.get();
    expect(a).toMatchObject({ id: dev.id, email: dev.email, role: 'developer', status: 'active', organisationName: 'Default organisation', terms: null });

    const admin = await adminSession(app);
    const v = await admin.caller.admin.settings.terms.publish({ title: 'Terms of Use', body: 'Be nice.' });
    expect((await dev.caller.account.get()).terms).toEqual({ acceptedVersion: null, acceptedTitle: null, acceptedAt: null, currentVersion: v.id });
    await dev.caller.auth.terms.accept({ versionId: v.id });
    const t = (await dev.caller.account.get()).terms!;
    expect(t).toMatchObject({ acceptedVersion: v.id, acceptedTitle: 'Terms of Use', currentVersion: v.id });
    expect(Date.parse(t.acceptedAt!)).not.toBeNaN();
  });

  it('account.updateName: changes the own name, records user.updated by the user with the changes; the same name records nothing', async () => {
    const dev = await developerSession(app);
    const before = await sqlCount(app, `select count(*) from domain_event where user_id = ? and type = 'user.updated'`, [dev.id]);
    const a = await dev.caller.account.updateName({ firstName: '  Ada ', lastName: 'Byron' });
    expect(a).toMatchObject({ firstName: 'Ada', lastName: 'Byron' });
    const [row] = await sql(app, `select first_name, last_name, version from app_user where id = ?`, [dev.id]);
    expect(row).toMatchObject({ first_name: 'Ada', last_name: 'Byron' });
    const events = await sql(app, `select actor_id, data from domain_event where user_id = ? and type = 'user.updated' order by id`, [dev.id]);
    expect(events.length).toBe(before + 1);
    expect(events.at(-1)).toMatchObject({
      actor_id: dev.id,
      data: { changes: { firstName: { from: 'Test', to: 'Ada' }, lastName: { from: 'User', to: 'Byron' } }, user: { id: dev.id, firstName: 'Ada' } },
    });
    // Unchanged: no new version, no event.
    await dev.caller.account.updateName({ firstName: 'Ada', lastName: 'Byron' });
    const [again] = await sql(app, `select version from app_user where id = ?`, [dev.id]);
    expect(again.version).toBe(row.version);
    expect(await sqlCount(app, `select count(*) from domain_event where user_id = ? and type = 'user.updated'`, [dev.id])).toBe(before + 1);
  });

  it.each([
    ['empty first name', { firstName: '', lastName: 'X' }],
    ['markup in the name', { firstName: '<b>Ada</b>', lastName: 'X' }],
    ['too long', { firstName: 'A'.repeat(500), lastName: 'X' }],
    ['a field that is not a name', { firstName: 'Ada', lastName: 'X', role: 'admin' }],
    ['not text', { firstName: 42, lastName: 'X' }],
  ])('account.updateName refuses %s with 400 and changes nothing', async (_name, input) => {
    const dev = await developerSession(app);
    const e = await err(dev.caller.account.updateName(input as never));
    expect(e?.code).toBe('BAD_REQUEST');
    const [row] = await sql(app, `select first_name, last_name, role from app_user where id = ?`, [dev.id]);
    expect(row).toMatchObject({ first_name: 'Test', last_name: 'User', role: 'developer' });
  });

  it('needs a session: anonymous callers get 401 over HTTP', async () => {
    const client = httpClient(app.url, { origin: app.origin });
    const e = await client.account.updateName.mutate({ firstName: 'A', lastName: 'B' }).catch((x: any) => x);
    expect(e.data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
    const g = await client.account.get.query().catch((x: any) => x);
    expect(g.data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
  });
});
