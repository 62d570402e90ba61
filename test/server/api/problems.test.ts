import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, insertUser } from '../../support/users.js';
import { apiCall, createTestToken, type ApiResponse } from '../../support/api.js';
import { createRateLimits, RateLimiter } from '../../../server/security/rate-limit.js';
import { documentOperations, responseValidator, type DocOperation } from './contract-cases.js';

/*
 * Every refusal is an RFC 9457 problem (application/problem+json: type, title, status, detail,
 * instance, plus reason, errors, details, requestId) whose status the document lists for that
 * operation; each answer below is checked against the document.
 */
describe('REST API errors are RFC 9457 problems', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let token: string;
  let ops: Map<string, DocOperation>;
  let check: ReturnType<typeof responseValidator>;
  let defaultOrg: string;

  beforeAll(async () => {
    // A small per-token limit for the 429 case; every other test uses its own token.
    app = await startTestApp({ limits: { ...createRateLimits(1000), apiToken: new RateLimiter('apiToken', 3, 60_000) } });
    admin = await adminSession(app);
    token = (await createTestToken(app, admin.id)).token;
    const doc = (await apiCall(app, 'GET', '/api/v1/openapi.json')).body;
    ops = new Map(documentOperations(doc).map((d) => [d.op.operationId as string, d]));
    check = responseValidator(doc);
    defaultOrg = (await sql(app, `select id from organisation where is_default`))[0].id;
  });
  afterAll(() => app.stop());

  /** Checks the problem against the document for that operation, and its common shape. */
  function expectProblem(operationId: string, res: ApiResponse, status: number, path: string): void {
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    check(ops.get(operationId)!, res);
    expect(res.body).toMatchObject({ status, instance: path, requestId: res.headers.get('x-request-id') });
    expect(res.body.type).toMatch(/^\/api\/docs#/);
    expect(typeof res.body.title).toBe('string');
    expect(res.body.detail.length).toBeGreaterThan(5);
    expect(res.text).not.toMatch(/stack|at .*\.ts:\d+|select |insert into/i);
  }

  // A fresh token per test (the 429 limiter counts per token: 3 requests a minute here).
  const fresh = async () => (await createTestToken(app, admin.id)).token;

  it('400: malformed JSON, a malformed If-Match, an unknown or repeated query parameter, an invalid cursor', async () => {
    token = await fresh();
    const u = await insertUser(app, { status: 'pending' });
    let res = await apiCall(app, 'POST', '/api/v1/users', { token, raw: '{"mode": "invite",', headers: { 'content-type': 'application/json' } });
    expectProblem('createUser', res, 400, '/api/v1/users');
    expect(res.body.type).toMatch(/malformed-json$/);
    res = await apiCall(app, 'POST', `/api/v1/users/${u.id}/activate`, { token, headers: { 'if-match': 'W/"1"' } });
    expectProblem('activateUser', res, 400, `/api/v1/users/${u.id}/activate`);
    expect(res.body.errors).toEqual([{ detail: 'Malformed If-Match', header: 'If-Match' }]);
    token = await fresh();
    res = await apiCall(app, 'GET', '/api/v1/users?colour=blue', { token });
    expectProblem('listUsers', res, 400, '/api/v1/users');
    expect(res.body.errors).toEqual([{ detail: 'Unknown query parameter "colour"', parameter: 'colour' }]);
    res = await apiCall(app, 'GET', '/api/v1/users?limit=1&limit=2', { token });
    expectProblem('listUsers', res, 400, '/api/v1/users');
    token = await fresh();
    res = await apiCall(app, 'GET', '/api/v1/users?cursor=not-a-cursor', { token });
    expectProblem('listUsers', res, 400, '/api/v1/users');
    expect(res.body).toMatchObject({ reason: 'INVALID_CURSOR', errors: [{ parameter: 'cursor' }] });
  });

  it('401: no token, a malformed header, an unknown, revoked or expired token, an owner who is no longer an active admin', async () => {
    const other = await insertUser(app, { role: 'admin' });
    const ownerGone = await createTestToken(app, other.id);
    const expired = await createTestToken(app, admin.id, undefined, { expiresAt: new Date(Date.now() - 1000) });
    const revoked = await createTestToken(app, admin.id);
    await sql(app, `update api_token set revoked_at = now() where id = ?`, [revoked.id]);
    await sql(app, `update app_user set status = 'inactive' where id = ?`, [other.id]);
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /needs an API token/],
      [{ authorization: 'Basic YWRtaW46YWRtaW4=' }, /must be "Bearer <token>"/],
      [{ authorization: 'Bearer admit_pat_' + 'x'.repeat(43) }, /not valid/],
      [{ authorization: `Bearer ${revoked.token}` }, /revoked/],
      [{ authorization: `Bearer ${expired.token}` }, /expired/],
      [{ authorization: `Bearer ${ownerGone.token}` }, /no longer an active administrator/],
    ];
    for (const [headers, detail] of cases) {
      const res = await apiCall(app, 'GET', '/api/v1/organisations', { headers });
      expectProblem('listOrganisations', res, 401, '/api/v1/organisations');
      expect(res.body.detail).toMatch(detail);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="Admit API"/);
    }
  });

  it('403: a token without the scope (insufficient_scope) — and a domain refusal keeps its reason', async () => {
    const reader = (await createTestToken(app, admin.id, ['organisations:read'])).token;
    const res = await apiCall(app, 'POST', '/api/v1/organisations', { token: reader, body: { name: 'Nope' } });
    expectProblem('createOrganisation', res, 403, '/api/v1/organisations');
    expect(res.body.details).toEqual({ requiredScope: 'organisations:write' });
  });

  it('403: the token of an admin who must change their password is refused until they have (as the admin pages refuse them)', async () => {
    const other = await insertUser(app, { role: 'admin', mustChangePassword: true });
    const t = (await createTestToken(app, other.id)).token;
    const res = await apiCall(app, 'GET', '/api/v1/organisations', { token: t });
    expectProblem('listOrganisations', res, 403, '/api/v1/organisations');
    expect(res.body.reason).toBe('PASSWORD_CHANGE_REQUIRED');
    await sql(app, `update app_user set must_change_password = false where id = ?`, [other.id]);
    expect((await apiCall(app, 'GET', '/api/v1/organisations', { token: t })).status).toBe(200);
  });

  it('404: an unknown id, an id that is not a UUID, an unknown address; 405 names the allowed methods', async () => {
    token = await fresh();
    const missing = '00000000-0000-4000-8000-000000000000';
    let res = await apiCall(app, 'GET', `/api/v1/users/${missing}`, { token });
    expectProblem('getUser', res, 404, `/api/v1/users/${missing}`);
    expect(res.body.reason).toBe('NOT_FOUND');
    res = await apiCall(app, 'GET', `/api/v1/users/not-a-uuid`, { token });
    expectProblem('getUser', res, 404, '/api/v1/users/not-a-uuid');
    res = await apiCall(app, 'GET', `/api/v1/organisations/${missing}`, { token });
    expectProblem('getOrganisation', res, 404, `/api/v1/organisations/${missing}`);
    token = await fresh();
    res = await apiCall(app, 'GET', '/api/v1/nothing-here', { token });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    res = await apiCall(app, 'PUT', '/api/v1/users', { token, body: {} });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(res.body).toMatchObject({ status: 405, title: 'Method Not Allowed' });
  });

  it('409: a decision the status does not allow (INVALID_TRANSITION, with the current user), a taken email (EMAIL_TAKEN)', async () => {
    token = await fresh();
    const active = await insertUser(app);
    let res = await apiCall(app, 'POST', `/api/v1/users/${active.id}/activate`, { token, headers: { 'if-match': '"1"' } });
    expectProblem('activateUser', res, 409, `/api/v1/users/${active.id}/activate`);
    expect(res.body).toMatchObject({ reason: 'INVALID_TRANSITION', details: { user: { id: active.id, status: 'active', version: 1 } } });
    res = await apiCall(app, 'POST', '/api/v1/users', {
      token,
      body: { mode: 'invite', firstName: 'Dup', lastName: 'Licate', email: active.email, organisationId: defaultOrg, sendInvite: false },
    });
    expectProblem('createUser', res, 409, '/api/v1/users');
    expect(res.body).toMatchObject({ reason: 'EMAIL_TAKEN', errors: [{ pointer: '/email' }] });
  });

  it('412 and 428: If-Match that is not the current version, and none at all', async () => {
    token = await fresh();
    const u = await insertUser(app, { status: 'pending' });
    let res = await apiCall(app, 'POST', `/api/v1/users/${u.id}/activate`, { token, headers: { 'if-match': '"7"' } });
    expectProblem('activateUser', res, 412, `/api/v1/users/${u.id}/activate`);
    expect(res.body).toMatchObject({ reason: 'USER_CHANGED', details: { user: { id: u.id, version: 1, status: 'pending' } } });
    expect(res.headers.get('etag')).toBe('"1"');
    res = await apiCall(app, 'POST', `/api/v1/users/${u.id}/activate`, { token });
    expectProblem('activateUser', res, 428, `/api/v1/users/${u.id}/activate`);
    expect(res.body.errors).toEqual([{ detail: 'If-Match is required', header: 'If-Match' }]);
  });

  it("422: values the shared schemas refuse, each field with a JSON pointer and the app's own message", async () => {
    token = await fresh();
    const res = await apiCall(app, 'POST', '/api/v1/users', {
      token,
      body: { mode: 'password', firstName: '', lastName: 'X', email: 'not an email', organisationId: defaultOrg, password: 'short', sendInvite: true },
    });
    expectProblem('createUser', res, 422, '/api/v1/users');
    expect(res.body.type).toMatch(/validation$/);
    const pointers = res.body.errors.map((e: any) => e.pointer).sort();
    expect(pointers).toEqual(['/email', '/firstName', '/password', '/sendInvite']);
    expect(res.body.errors.find((e: any) => e.pointer === '/firstName').detail).toBe('First name is required');
    expect(res.body.errors.find((e: any) => e.pointer === '/password').detail).toBe('Password must be at least 8 characters');
  });

  it('429: past the per-token limit, with Retry-After; another token is unaffected', async () => {
    const limited = (await createTestToken(app, admin.id)).token;
    for (let i = 0; i < 3; i++) expect((await apiCall(app, 'GET', '/api/v1/settings', { token: limited })).status).toBe(200);
    const res = await apiCall(app, 'GET', '/api/v1/settings', { token: limited });
    expectProblem('getSettings', res, 429, '/api/v1/settings');
    expect(res.body.reason).toBe('RATE_LIMITED');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await apiCall(app, 'GET', '/api/v1/settings', { token: await fresh() })).status).toBe(200);
  });

  it('413 and 415: a body over 64 KiB, a body that is not JSON', async () => {
    token = await fresh();
    let res = await apiCall(app, 'POST', '/api/v1/organisations', {
      token,
      raw: JSON.stringify({ name: 'x'.repeat(70_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expectProblem('createOrganisation', res, 413, '/api/v1/organisations');
    res = await apiCall(app, 'POST', '/api/v1/organisations', { token, raw: 'name=Acme', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectProblem('createOrganisation', res, 415, '/api/v1/organisations');
  });
});
