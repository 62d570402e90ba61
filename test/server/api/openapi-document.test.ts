import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate, compileErrors } from '@readme/openapi-parser';
import { startTestApp, type TestApp } from '../../support/app.js';
import { apiCall } from '../../support/api.js';
import { API_SCOPES } from '../../../shared/api-scopes.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

describe('GET /api/v1/openapi.json', () => {
  let app: TestApp;
  let doc: any;
  beforeAll(async () => {
    app = await startTestApp();
    const res = await apiCall(app, 'GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    doc = res.body;
  });
  afterAll(() => app.stop());

  it('is served without a token and is a valid OpenAPI 3.1 document (@readme/openapi-parser)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc));
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.valid).toBe(true);
    expect(result.specification).toBe('OpenAPI');
    expect(result.warnings).toEqual([]);
  });

  it('every operation declares exactly one scope (security and x-scope agree), and every scope is used', () => {
    const used = new Set<string>();
    let count = 0;
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of METHODS.filter((m) => item[m])) {
        const op = item[method];
        count++;
        expect(op.security, `${method} ${path}`).toHaveLength(1);
        expect(Object.keys(op.security[0]), `${method} ${path}`).toEqual(['bearer']);
        expect(op.security[0].bearer, `${method} ${path}`).toHaveLength(1);
        const scope = op.security[0].bearer[0];
        expect(API_SCOPES, `${method} ${path}`).toContain(scope);
        expect(op['x-scope'], `${method} ${path}`).toBe(scope);
        expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
        used.add(scope);
      }
    }
    expect(count).toBeGreaterThanOrEqual(21);
    expect([...used].sort()).toEqual([...API_SCOPES].sort());
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('every error answer is an RFC 9457 problem (application/problem+json with the Problem schema)', () => {
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const method of METHODS.filter((m) => item[m])) {
        for (const [status, response] of Object.entries<any>(item[method].responses)) {
          if (Number(status) < 400) continue;
          expect(Object.keys(response.content), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
          expect(response.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
        }
        for (const s of ['401', '403', '429']) expect(item[method].responses[s], `${method} ${path} ${s}`).toBeDefined();
      }
    }
    expect(doc.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'instance']);
  });

  it('request schemas come from the shared zod schemas: the same limits and enums the app applies', () => {
    const create = doc.components.schemas.CreateUserRequest;
    expect(create.oneOf.map((v: any) => v.properties.mode.const).sort()).toEqual(['invite', 'password']);
    const pw = create.oneOf.find((v: any) => v.properties.mode.const === 'password');
    expect(pw.properties.password).toMatchObject({ type: 'string', minLength: 8, maxLength: 256 });
    expect(pw.additionalProperties).toBe(false);
    const list = doc.paths['/users'].get.parameters;
    expect(list.find((p: any) => p.name === 'limit').schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 50 });
    expect(list.find((p: any) => p.name === 'status').schema.enum).toContain('pending');
    const patch = doc.paths['/users/{userId}'].patch.parameters;
    expect(patch.find((p: any) => p.in === 'header')).toMatchObject({ name: 'If-Match', required: true });
  });
});
