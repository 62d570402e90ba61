import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { apiClient, createTestToken, type ApiResponse } from '../../support/api.js';
import { writeSetting } from '../../../server/settings/settings.repository.js';
import { stateFingerprint } from './contract-cases.js';

/**
 * Optimistic concurrency on organisations and the general settings, as on users: ETag on every
 * answer about one, If-Match required on every change (428 without, 412 when stale, RFC 9457
 * problems), and changes made in the app (tRPC) move the same version.
 */
describe('REST API ETag / If-Match on organisations and settings', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let api: ReturnType<typeof apiClient>;
  let other: ReturnType<typeof apiClient>;

  const name = (p: string) => `${p} ${randomUUID().slice(0, 8)}`;
  const expectProblem = (res: ApiResponse, status: number, slug: string) => {
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, type: expect.stringMatching(new RegExp(`${slug}$`)) });
  };
  async function createOrg(): Promise<{ id: string; etag: string }> {
    const res = await api.post('/organisations', { name: name('Org') });
    expect(res.status).toBe(201);
    return { id: res.body.id, etag: res.headers.get('etag')! };
  }

  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
    api = apiClient(app, (await createTestToken(app, admin.id)).token);
    other = apiClient(app, (await createTestToken(app, admin.id)).token);
  });
  afterAll(() => app.stop());

  describe('organisations', () => {
    it('create and GET send the version as ETag (and in the body); a rename with it answers the next; the old one then gets 412 and changes nothing', async () => {
      const org = await createOrg();
      expect(org.etag).toBe('"1"');
      const got = await api.get(`/organisations/${org.id}`);
      expect(got.headers.get('etag')).toBe('"1"');
      expect(got.body.version).toBe(1);

      const renamed = await api.patch(`/organisations/${org.id}`, { name: 'Acme Renamed' }, { 'if-match': '"1"' });
      expect(renamed.status).toBe(200);
      expect(renamed.headers.get('etag')).toBe('"2"');
      expect(renamed.body).toMatchObject({ name: 'Acme Renamed', version: 2 });

      const stale = await api.patch(`/organisations/${org.id}`, { name: 'Acme Again' }, { 'if-match': '"1"' });
      expectProblem(stale, 412, 'organisation-changed');
      expect(stale.body.reason).toBe('ORGANISATION_CHANGED');
      expect(stale.headers.get('etag')).toBe('"2"');
      expect(stale.body.details.organisation).toMatchObject({ id: org.id, name: 'Acme Renamed', version: 2 });
      expect((await sql(app, `select name, version from organisation where id = ?`, [org.id]))[0]).toEqual({ name: 'Acme Renamed', version: 2 });

      const staleDelete = await api.delete(`/organisations/${org.id}`, { 'if-match': '"1"' });
      expectProblem(staleDelete, 412, 'organisation-changed');
      expect(await sql(app, `select 1 from organisation where id = ?`, [org.id])).toHaveLength(1);
      expect((await api.delete(`/organisations/${org.id}`, { 'if-match': '"2"' })).status).toBe(204);
      expect(await sql(app, `select 1 from organisation where id = ?`, [org.id])).toEqual([]);
    });

    it('rename and delete without If-Match: 428, nothing changes; a malformed one: 400', async () => {
      const org = await createOrg();
      const before = await stateFingerprint(app);
      const rename = await api.patch(`/organisations/${org.id}`, { name: name('Nope') });
      expectProblem(rename, 428, 'if-match-required');
      expect(rename.body.errors).toEqual([{ detail: 'If-Match is required', header: 'If-Match' }]);
      expect(rename.body.detail).toMatch(/ETag of the organisation/);
      expectProblem(await api.delete(`/organisations/${org.id}`), 428, 'if-match-required');
      expectProblem(await api.delete(`/organisations/${org.id}`, { 'if-match': '*' }), 400, 'malformed-if-match');
      expect(await stateFingerprint(app)).toBe(before);
    });

    it("a rename made in the app (tRPC) moves the same version: the API's If-Match is then stale", async () => {
      const org = await createOrg();
      const renamedInApp = await admin.caller.admin.organisations.rename({ id: org.id, name: name('From the app') });
      expect(renamedInApp.version).toBe(2);
      const res = await api.patch(`/organisations/${org.id}`, { name: name('From the API') }, { 'if-match': org.etag });
      expectProblem(res, 412, 'organisation-changed');
      expect(res.body.details.organisation.name).toBe(renamedInApp.name);
      // The list answers the versions too, so a client can rename from it.
      const list = await api.get('/organisations');
      expect(list.body.items.find((o: any) => o.id === org.id).version).toBe(2);
    });

    it('two integrations renaming one organisation at once with the same ETag: exactly one wins, the other gets 412', async () => {
      for (let round = 0; round < 5; round++) {
        const org = await createOrg();
        const [a, b] = await Promise.all([
          api.patch(`/organisations/${org.id}`, { name: name('A') }, { 'if-match': org.etag }),
          other.patch(`/organisations/${org.id}`, { name: name('B') }, { 'if-match': org.etag }),
        ]);
        expect([a.status, b.status].sort(), `${a.text.slice(0, 300)} | ${b.text.slice(0, 300)}`).toEqual([200, 412]);
        const winner = a.status === 200 ? a : b;
        expect((await sql(app, `select name, version from organisation where id = ?`, [org.id]))[0]).toEqual({ name: winner.body.name, version: 2 });
        expect(
          await sql(app, `select count(*)::int as n from domain_event where type = 'organisation.renamed' and data->'organisation'->>'id' = ?`, [org.id]),
        ).toEqual([{ n: 1 }]);
      }
    });

    it('a rename racing a delete with the same ETag: exactly one wins', async () => {
      for (let round = 0; round < 3; round++) {
        const org = await createOrg();
        const [renamed, deleted] = await Promise.all([
          api.patch(`/organisations/${org.id}`, { name: name('R') }, { 'if-match': org.etag }),
          other.delete(`/organisations/${org.id}`, { 'if-match': org.etag }),
        ]);
        // The loser sees a changed organisation (412) or none at all (404, after the delete).
        expect([renamed.status, deleted.status].filter((s) => s < 300)).toHaveLength(1);
        if (renamed.status === 200) expect(deleted.status).toBe(412);
        else {
          expect(deleted.status).toBe(204);
          expect(renamed.status).toBe(404);
        }
      }
    });
  });

  describe('settings', () => {
    it('GET sends an ETag; a PUT with it answers the next; the old one then gets 412 with the current settings and changes nothing', async () => {
      const got = await api.get('/settings');
      const etag = got.headers.get('etag')!;
      expect(etag).toMatch(/^"[1-9][0-9]*"$/);
      const put = await api.put('/settings', { ...got.body, portalName: 'Portal One' }, { 'if-match': etag });
      expect(put.status).toBe(200);
      const next = put.headers.get('etag')!;
      expect(Number(JSON.parse(next))).toBeGreaterThan(Number(JSON.parse(etag)));
      expect((await api.get('/settings')).headers.get('etag')).toBe(next);

      const stale = await api.put('/settings', { ...got.body, portalName: 'Portal Two' }, { 'if-match': etag });
      expectProblem(stale, 412, 'settings-changed');
      expect(stale.body.reason).toBe('SETTINGS_CHANGED');
      expect(stale.headers.get('etag')).toBe(next);
      expect(stale.body.details).toMatchObject({ settings: { portalName: 'Portal One' }, version: Number(JSON.parse(next)) });
      expect((await api.get('/settings')).body.portalName).toBe('Portal One');

      // Saving what is already there writes nothing: the ETag stays valid.
      const same = await api.put('/settings', { ...got.body, portalName: 'Portal One' }, { 'if-match': next });
      expect(same.status).toBe(200);
      expect(same.headers.get('etag')).toBe(next);
    });

    it('PUT without If-Match: 428, nothing changes', async () => {
      const got = await api.get('/settings');
      const before = await stateFingerprint(app);
      const res = await api.put('/settings', { ...got.body, portalName: name('Blind') });
      expectProblem(res, 428, 'if-match-required');
      expect(res.body.detail).toMatch(/ETag of the settings/);
      expect(await stateFingerprint(app)).toBe(before);
    });

    it("a change made in the app (Settings › General over tRPC), or by any other writer of a general setting, makes the API's ETag stale", async () => {
      const got = await api.get('/settings');
      await admin.caller.admin.settings.general.update({ ...got.body, portalName: name('From the app') });
      const afterApp = await api.get('/settings');
      expect(afterApp.headers.get('etag')).not.toBe(got.headers.get('etag'));
      expectProblem(
        await api.put('/settings', { ...got.body, autoApprove: !got.body.autoApprove }, { 'if-match': got.headers.get('etag')! }),
        412,
        'settings-changed',
      );

      await writeSetting(app.services.em(), 'inviteLifetimeDays', afterApp.body.inviteLifetimeDays === 7 ? 8 : 7);
      const afterWrite = await api.get('/settings');
      expect(afterWrite.headers.get('etag')).not.toBe(afterApp.headers.get('etag'));
      expectProblem(await api.put('/settings', afterApp.body, { 'if-match': afterApp.headers.get('etag')! }), 412, 'settings-changed');

      // A setting outside Settings › General (the mail sender's name) is not part of this resource: the ETag stays.
      await writeSetting(app.services.em(), 'mailFromName', 'Unrelated');
      expect((await api.get('/settings')).headers.get('etag')).toBe(afterWrite.headers.get('etag'));
    });

    it('two integrations replacing the settings at once with the same ETag: exactly one wins, the other gets 412', async () => {
      for (let round = 0; round < 5; round++) {
        const got = await api.get('/settings');
        const etag = got.headers.get('etag')!;
        const [a, b] = await Promise.all([
          api.put('/settings', { ...got.body, portalName: name('A') }, { 'if-match': etag }),
          other.put('/settings', { ...got.body, portalName: name('B') }, { 'if-match': etag }),
        ]);
        expect([a.status, b.status].sort(), `${a.text.slice(0, 300)} | ${b.text.slice(0, 300)}`).toEqual([200, 412]);
        const winner = a.status === 200 ? a : b;
        const now = await api.get('/settings');
        expect(now.body.portalName).toBe(winner.body.portalName);
        expect(now.headers.get('etag')).toBe(winner.headers.get('etag'));
      }
    });
  });
});
