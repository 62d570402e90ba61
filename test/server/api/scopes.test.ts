import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { apiCall, createTestToken } from '../../support/api.js';
import { API_SCOPES, type ApiScope } from '../../../shared/api-scopes.js';
import { CASES, documentOperations, responseValidator, send, stateFingerprint, type CaseContext, type DocOperation } from './contract-cases.js';

/*
 * Every operation in the document, with a token that has every scope but the one it declares
 * (403, nothing changes) and with a token that has only that scope (served). Driven by the
 * document: a new operation is covered as soon as it is listed.
 */
describe('REST API scopes: each operation needs exactly the scope it declares', () => {
  let app: TestApp;
  let ctx: CaseContext;
  let doc: any;
  let ops: DocOperation[];
  let check: ReturnType<typeof responseValidator>;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await adminSession(app);
    ctx = { app, admin };
    doc = (await apiCall(app, 'GET', '/api/v1/openapi.json')).body;
    ops = documentOperations(doc);
    check = responseValidator(doc);
    for (const scope of API_SCOPES) {
      tokens.set(`only ${scope}`, (await createTestToken(app, admin.id, [scope])).token);
      tokens.set(
        `all but ${scope}`,
        (
          await createTestToken(
            app,
            admin.id,
            API_SCOPES.filter((s) => s !== scope),
          )
        ).token,
      );
    }
  });
  afterAll(() => app.stop());

  it('without its scope: 403 insufficient-scope problem naming the scope, and nothing changes', async () => {
    for (const d of ops) {
      const scope = d.op['x-scope'] as ApiScope;
      const req = await CASES[d.op.operationId]!(ctx);
      const before = await stateFingerprint(app);
      const res = await send(app, d, req, tokens.get(`all but ${scope}`)!);
      expect(res.status, `${d.op.operationId} without ${scope}: ${res.text}`).toBe(403);
      check(d, res);
      expect(res.body).toMatchObject({ status: 403, title: 'Forbidden', details: { requiredScope: scope } });
      expect(res.body.type).toMatch(/insufficient-scope$/);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="Admit API", error="insufficient_scope", scope="${scope}"`);
      expect(await stateFingerprint(app), `${d.op.operationId} changed something without its scope`).toBe(before);
    }
  });

  it('with only its scope: served (the documented success status)', async () => {
    for (const d of ops) {
      const scope = d.op['x-scope'] as ApiScope;
      const req = await CASES[d.op.operationId]!(ctx);
      const res = await send(app, d, req, tokens.get(`only ${scope}`)!);
      const success = Number(Object.keys(d.op.responses).find((s) => Number(s) < 400));
      expect(res.status, `${d.op.operationId} with only ${scope}: ${res.text}`).toBe(success);
      check(d, res);
    }
  });

  it('a users:read token can read users but cannot write anything: every non-GET operation is refused and nothing changes', async () => {
    const reader = tokens.get('only users:read')!;
    expect((await apiCall(app, 'GET', '/api/v1/users', { token: reader })).status).toBe(200);
    const writes = ops.filter((d) => d.method !== 'get');
    expect(writes.length).toBeGreaterThanOrEqual(14);
    for (const d of writes) {
      const req = await CASES[d.op.operationId]!(ctx);
      const before = await stateFingerprint(app);
      const res = await send(app, d, req, reader);
      expect(res.status, `${d.op.operationId} with users:read`).toBe(403);
      expect(await stateFingerprint(app)).toBe(before);
    }
  });
});
