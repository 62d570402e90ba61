import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { apiCall, createTestToken } from '../../support/api.js';
import { CASES, documentOperations, responseValidator, send, stateFingerprint, type CaseContext, type DocOperation } from './contract-cases.js';

/*
 * The contract: every operation the OpenAPI document lists is called with a valid request and a
 * token holding every scope; the answer's status, body and headers must be what the document says.
 * Driven by the document, so a new operation without a case in contract-cases.ts fails here.
 */
describe('REST API contract: every documented operation answers as documented', () => {
  let app: TestApp;
  let ctx: CaseContext;
  let token: string;
  let doc: any;
  let ops: DocOperation[];
  let check: ReturnType<typeof responseValidator>;

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await adminSession(app);
    ctx = { app, admin };
    token = (await createTestToken(app, admin.id)).token;
    doc = (await apiCall(app, 'GET', '/api/v1/openapi.json')).body;
    ops = documentOperations(doc);
    check = responseValidator(doc);
  });
  afterAll(() => app.stop());

  it('has a contract case for every operation in the document, and no case for an operation it does not list', () => {
    const ids = ops.map((d) => d.op.operationId as string).sort();
    expect(ids.filter((id) => !CASES[id])).toEqual([]);
    expect(Object.keys(CASES).sort()).toEqual(ids);
  });

  it('calls every operation: the documented success status, a body matching its schema, the documented headers', async () => {
    const seen: string[] = [];
    for (const d of ops) {
      const req = await CASES[d.op.operationId]!(ctx);
      const res = await send(app, d, req, token);
      const success = Object.keys(d.op.responses).find((s) => Number(s) < 400)!;
      expect(res.status, `${d.op.operationId}: ${res.text.slice(0, 400)}`).toBe(Number(success));
      check(d, res);
      expect(res.headers.get('cache-control')).toBe('no-store');
      seen.push(d.op.operationId);
    }
    expect(seen).toHaveLength(ops.length);
  });

  it('every operation that documents If-Match answers 428 without it (as documented) and changes nothing; one with a stale version answers 412 with the current ETag', async () => {
    const guarded = ops.filter((d) => (d.op.parameters ?? []).some((p: any) => p.in === 'header' && p.name === 'If-Match' && p.required));
    // Users, organisations and the general settings: every change of one.
    expect(guarded.map((d) => d.op.operationId).sort()).toEqual(
      [
        'activateUser',
        'deactivateUser',
        'deleteOrganisation',
        'deleteUser',
        'reconsiderUser',
        'rejectUser',
        'renameOrganisation',
        'updateSettings',
        'updateUser',
      ].sort(),
    );
    for (const d of guarded) {
      const req = await CASES[d.op.operationId]!(ctx);
      const { 'if-match': ifMatch, ...rest } = req.headers ?? {};
      expect(ifMatch, `${d.op.operationId}'s case sends If-Match`).toBeDefined();
      const before = await stateFingerprint(app);
      const missing = await send(app, d, { ...req, headers: rest }, token);
      expect(missing.status, `${d.op.operationId}: ${missing.text.slice(0, 300)}`).toBe(428);
      check(d, missing);
      const stale = await send(app, d, { ...req, headers: { ...rest, 'if-match': `"${Number(JSON.parse(ifMatch!)) + 1000}"` } }, token);
      expect(stale.status, `${d.op.operationId}: ${stale.text.slice(0, 300)}`).toBe(412);
      check(d, stale);
      expect(stale.headers.get('etag'), d.op.operationId).toBe(ifMatch);
      expect(await stateFingerprint(app), d.op.operationId).toBe(before);
    }
  });

  it('the checker itself refuses an answer that does not match the document (status, body, headers)', () => {
    const list = ops.find((d) => d.op.operationId === 'listUsers')!;
    const fake = (status: number, body: unknown, type = 'application/json') => ({
      status,
      body,
      text: JSON.stringify(body),
      headers: new Headers({ 'content-type': type }),
    });
    expect(() => check(list, fake(200, { items: [{ id: 1 }], nextCursor: null }))).toThrow();
    expect(() => check(list, fake(200, { items: [], nextCursor: null, extra: true }))).toThrow();
    expect(() => check(list, fake(418, {}))).toThrow(/not in the document/);
    expect(() => check(list, fake(200, { items: [], nextCursor: null }, 'text/plain'))).toThrow();
    const get = ops.find((d) => d.op.operationId === 'getUser')!;
    const detail = {
      id: 'x',
      firstName: 'a',
      lastName: 'b',
      email: 'c',
      organisation: { id: 'o', name: 'n' },
      role: 'developer',
      status: 'active',
      hasPassword: true,
      mustChangePassword: false,
      rejectionReason: null,
      createdAt: 'now',
      updatedAt: 'now',
      version: 1,
    };
    expect(() => check(get, fake(200, detail))).toThrow(/header ETag/);
    check(list, fake(200, { items: [], nextCursor: null }));
  });

  it('a change made with a token is an event naming the admin and the token', async () => {
    const named = await createTestToken(app, ctx.admin.id, ['organisations:write'], { name: 'CRM sync' });
    const res = await apiCall(app, 'POST', '/api/v1/organisations', { token: named.token, body: { name: 'Made by the CRM' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/v1/organisations/${res.body.id}`);
    const [ev] = await sql(
      app,
      `select actor_id, actor_token_id, actor_token_name from domain_event where type = 'organisation.created' and data->'organisation'->>'id' = ?`,
      [res.body.id],
    );
    expect(ev).toEqual({ actor_id: ctx.admin.id, actor_token_id: named.id, actor_token_name: 'CRM sync' });
  });

  it('the event feed shows the token on changes made with one', async () => {
    const named = await createTestToken(app, ctx.admin.id, ['organisations:write', 'events:read'], { name: 'Feed reader' });
    const before = await apiCall(app, 'GET', '/api/v1/events?after=0&limit=500', { token: named.token });
    const last = before.body.items.at(-1)?.id ?? 0;
    const created = await apiCall(app, 'POST', '/api/v1/organisations', { token: named.token, body: { name: 'Seen in the feed' } });
    const feed = await apiCall(app, 'GET', `/api/v1/events?after=${last}`, { token: named.token });
    const ev = feed.body.items.find((e: any) => e.type === 'organisation.created' && e.data.organisation.id === created.body.id);
    expect(ev).toMatchObject({ actorId: ctx.admin.id, actorToken: { id: named.id, name: 'Feed reader' } });
  });
});
