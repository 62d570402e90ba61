/**
 * Throws thousands of generated malformed HTTP requests (request lines, percent-encodings, header
 * values, JSON and tRPC envelopes) at a real server over raw sockets. Seeded (FUZZ_SEED) and so
 * reproducible. After each batch: the server process is alive, /healthz answers, and no row
 * changed in the tables a request could write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { healthz, rawHttp, snapshotRows } from './support/raw.js';
import { body, FUZZ_SEED, headers, requestTarget } from './support/fuzz.js';

const CASES = Number(process.env.FUZZ_HTTP_CASES ?? 3000);
const BATCH = 500;
const PARALLEL = 25;

const request = fc.record({
  method: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH') },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  ),
  target: requestTarget,
  version: fc.oneof({ weight: 8, arbitrary: fc.constant('HTTP/1.1') }, { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', '') }),
  headers,
  origin: fc.boolean(),
  body,
  contentLength: fc.oneof({ weight: 5, arbitrary: fc.constant('exact') }, { weight: 1, arbitrary: fc.constantFrom('none', 'short', 'long') }),
});
type Req = typeof request extends fc.Arbitrary<infer T> ? T : never;

function render(r: Req, port: number): string {
  const lines = [`${r.method} ${r.target} ${r.version}`.trimEnd(), `Host: 127.0.0.1:${port}`];
  if (r.origin) lines.push(`Origin: http://localhost:${port}`);
  for (const [k, v] of r.headers) lines.push(`${k}: ${v}`);
  const bytes = Buffer.byteLength(r.body);
  if (r.contentLength === 'exact') lines.push(`Content-Length: ${bytes}`);
  else if (r.contentLength === 'short') lines.push(`Content-Length: ${Math.max(0, bytes - 3)}`);
  else if (r.contentLength === 'long') lines.push(`Content-Length: ${bytes + 50}`);
  return `${lines.join('\r\n')}\r\n\r\n${r.body}`;
}

describe('HTTP fuzz', () => {
  let db: TestDatabase;
  let srv: ServerProcess;
  beforeAll(async () => {
    db = await createTestDatabase();
    // An admin exists, so auth.setup refuses; rate limits are the real ones.
    srv = await startServerProcess(db.url, { ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'correct horse battery staple' }, { realLimits: true });
  });
  afterAll(async () => {
    // Unset when beforeAll failed before assigning them.
    await (srv as ServerProcess | undefined)?.stop();
    await (db as TestDatabase | undefined)?.drop();
  });

  it(`survives ${CASES} malformed requests (seed ${FUZZ_SEED})`, { timeout: 120_000 }, async () => {
    const cases = fc.sample(request, { seed: FUZZ_SEED, numRuns: CASES });
    const before = await snapshotRows(db.url);
    const statuses = new Map<number | null, number>();
    for (let b = 0; b < cases.length; b += BATCH) {
      const batch = cases.slice(b, b + BATCH);
      const failures: string[] = [];
      for (let i = 0; i < batch.length; i += PARALLEL) {
        await Promise.all(
          batch.slice(i, i + PARALLEL).map(async (c, j) => {
            const wire = render(c, srv.port);
            const r = await rawHttp(srv.port, wire, { timeoutMs: 10_000 });
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
            if ((r.status !== null && r.status >= 500) || r.timedOut)
              failures.push(`case ${b + i + j}: ${r.timedOut ? 'no answer' : r.status} for ${JSON.stringify(wire.slice(0, 300))}\n${r.raw.slice(0, 300)}`);
          }),
        );
      }
      expect(failures, `seed ${FUZZ_SEED}`).toEqual([]);
      expect(srv.alive(), `server process alive after batch ${b / BATCH}`).toBe(true);
      expect(await healthz(srv.port)).toBe(true);
      expect(await snapshotRows(db.url)).toEqual(before);
    }
    // The fuzz reached the application, not only the HTTP parser.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect((statuses.get(400) ?? 0) + (statuses.get(404) ?? 0)).toBeGreaterThan(CASES / 10);
  });
});
