import fc from 'fast-check';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, insertUser } from '../../support/users.js';
import { apiCall, createTestToken } from '../../support/api.js';
import { CASES, documentOperations, stateFingerprint, type CaseContext, type DocOperation } from './contract-cases.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);

/** Characters the shared text rules refuse in every text (shared/text.ts): NUL, controls, bidi overrides, lone surrogates. */
const HOSTILE = ['\u0000', '\u0007', '\u001b[31m', '\u202e', '\u2066', '\ud800', '\udfff'];
/** …and in names only: invisible characters (a reason or a portal name may hold them). */
const HOSTILE_IN_NAMES = [...HOSTILE, '\u200b', '\ufeff', '\u2060'];
const NAME_FIELDS = new Set(['firstName', 'lastName', 'name']);

/** A JSON value of any shape, nested a little. */
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom('__proto__', 'constructor', "' or 1=1 --", '<script>alert(1)</script>', '${7*7}', '../../etc/passwd', 'x'.repeat(300)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'name', 'mode', 'to', 'reason', 'firstName', 'x'), tie('value'), { maxKeys: 4 }),
  ),
})).value;

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Valid bodies made invalid: a field of the wrong type, a hostile character in a text, or an unknown key. */
function spoil(body: Record<string, unknown>) {
  const keys = Object.keys(body);
  const texts = keys.filter((k) => typeof body[k] === 'string' && !['mode', 'to'].includes(k));
  const wrongType = fc
    .tuple(fc.constantFrom(...keys), fc.constantFrom<unknown>(123, -1.5, true, false, null, [], ['x'], {}, { a: 1 }, 'text'))
    .filter(([k, v]) => kind(v) !== kind(body[k]) && !(k === 'reason' && v === null))
    .map(([k, v]) => ({ ...body, [k]: v }));
  const unknownKey = fc
    .tuple(fc.constantFrom('extra', '__proto__', 'constructor', 'userId', 'expectedVersion', 'role '), jsonValue)
    .map(([k, v]) => JSON.parse(JSON.stringify({ ...body, [k]: v ?? 1 })) as unknown);
  if (texts.length === 0) return fc.oneof(wrongType, unknownKey);
  const hostile = fc
    .tuple(fc.constantFrom(...texts), fc.constantFrom(...HOSTILE_IN_NAMES), fc.nat(5))
    .filter(([k, bad]) => NAME_FIELDS.has(k) || HOSTILE.includes(bad))
    // Inside the text: at either end, whitespace-like ones (U+FEFF) are trimmed by the normalisation, which is fine.
    .map(([k, bad, at]) => {
      const v = body[k] as string;
      const i = 1 + (at % Math.max(1, v.length - 1));
      return { ...body, [k]: v.slice(0, i) + bad + v.slice(i) };
    });
  return fc.oneof(wrongType, hostile, unknownKey);
}

/** Raw request bodies that are not one JSON document of the right kind. */
const rawBody = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc
    .constantFrom('{', '{"name":', '{"name": "a"} {"name": "b"}', '\ufeff{}', '[]', 'null', '"text"', '1e309', '{"a":' + '['.repeat(5000))
    .map((s) => Buffer.from(s)),
  fc.constant(Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
);

describe('REST API bad input: always a 4xx problem, nothing changes, the server keeps answering', () => {
  let app: TestApp;
  let ctx: CaseContext;
  let token: string;
  let writes: DocOperation[];

  beforeAll(async () => {
    app = await startTestApp({ env: { MAIL_WORKER: 'false' } });
    const admin = await adminSession(app);
    ctx = { app, admin };
    token = (await createTestToken(app, admin.id)).token;
    const doc = (await apiCall(app, 'GET', '/api/v1/openapi.json')).body;
    writes = documentOperations(doc).filter((d) => d.op.requestBody);
  });
  afterAll(() => app.stop());

  async function expectRefused(label: string, run: () => Promise<{ status: number; text: string; headers: Headers }>) {
    const before = await stateFingerprint(app);
    const res = await run();
    expect(res.status, `${label}: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
    expect(res.status, `${label}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
    expect(res.headers.get('content-type'), label).toBe('application/problem+json');
    expect(await stateFingerprint(app), `${label} changed something`).toBe(before);
  }

  it('spoiled bodies for every operation that takes one (wrong types, hostile characters, unknown keys)', async () => {
    expect(writes.map((d) => d.op.operationId).sort()).toEqual(
      ['createOrganisation', 'createUser', 'reconsiderUser', 'rejectUser', 'renameOrganisation', 'updateSettings', 'updateUser'].sort(),
    );
    for (const d of writes) {
      const req = await CASES[d.op.operationId]!(ctx);
      const body = req.body as Record<string, unknown>;
      await fc.assert(
        fc.asyncProperty(spoil(body), async (bad) => {
          await expectRefused(`${d.op.operationId} ${JSON.stringify(bad).slice(0, 200)}`, () =>
            apiCall(app, d.method.toUpperCase(), `/api/v1${req.path}`, { token, body: bad, headers: req.headers }),
          );
        }),
        { seed: SEED, numRuns: 25 },
      );
    }
  });

  it('raw bodies that are not the right JSON (random bytes, truncated, trailing data, invalid UTF-8, deep nesting)', async () => {
    const req = await CASES.createOrganisation!(ctx);
    await fc.assert(
      fc.asyncProperty(
        rawBody,
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/json; charset=latin1'),
        async (raw, type) => {
          await expectRefused(`raw ${raw.toString('hex').slice(0, 60)} as ${type}`, () =>
            apiCall(app, 'POST', `/api/v1${req.path}`, { token, raw, headers: { 'content-type': type } }),
          );
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('any JSON value as a whole body is refused unless it is the right object', async () => {
    const u = await insertUser(app, { status: 'pending' });
    await fc.assert(
      fc.asyncProperty(jsonValue, async (value) => {
        fc.pre(!(value && typeof value === 'object' && !Array.isArray(value) && 'to' in value));
        await expectRefused(`reconsider ${JSON.stringify(value).slice(0, 100)}`, () =>
          apiCall(app, 'POST', `/api/v1/users/${u.id}/reconsider`, {
            token,
            raw: JSON.stringify(value),
            headers: { 'content-type': 'application/json', 'if-match': '"1"' },
          }),
        );
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('oversized bodies, declared or streamed without a length, get 413 and the server stays up', async () => {
    const big = Buffer.alloc(1024 * 1024, 'a');
    await expectRefused('declared 1 MiB', () =>
      apiCall(app, 'POST', '/api/v1/organisations', { token, raw: big, headers: { 'content-type': 'application/json' } }),
    );
    // Chunked, no Content-Length: the server must stop reading at the limit.
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${app.url}/api/v1/organisations`);
      const r = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      r.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
      r.write('{"name":"');
      let sent = 0;
      const pump = () => {
        while (sent < 2 * 1024 * 1024) {
          sent += 16 * 1024;
          if (!r.write('b'.repeat(16 * 1024))) return void r.once('drain', pump);
        }
        r.end('"}');
      };
      pump();
    });
    expect(status).toBe(413);
    expect((await apiCall(app, 'GET', '/api/v1/organisations', { token })).status).toBe(200);
  });

  it('hostile paths and headers: bad percent-encodings, NUL, traversal, random If-Match values', async () => {
    const u = await insertUser(app, { status: 'pending' });
    for (const p of [
      '/api/v1/users/%00',
      '/api/v1/users/%E0%A4%A',
      '/api/v1/users/..%2F..%2Fsettings',
      '/api/v1/users/%252e',
      `/api/v1/users/${u.id}/%2e%2e`,
      '/api/v1//users',
      '/api/v1/users/',
    ]) {
      const res = await apiCall(app, 'GET', p, { token });
      expect([400, 404], p).toContain(res.status);
    }
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 30 }).filter((s) => !/^\s*"1"\s*$/.test(s) && !/[\r\n\0]/.test(s) && /^[\x20-\xff]*$/.test(s)),
        async (ifMatch) => {
          await expectRefused(`If-Match ${JSON.stringify(ifMatch)}`, () =>
            apiCall(app, 'POST', `/api/v1/users/${u.id}/activate`, { token, headers: { 'if-match': ifMatch } }),
          );
        },
      ),
      { seed: SEED, numRuns: 60 },
    );
    expect((await sql(app, `select status, version from app_user where id = ?`, [u.id]))[0]).toEqual({ status: 'pending', version: 1 });
  });
});
