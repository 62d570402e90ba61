/**
 * Throws generated malformed WebSocket upgrades (request targets, Origin, keys, cookies) and
 * frames (JSON, tRPC envelopes and batches, invalid UTF-8, binary, bad opcodes, unmasked and
 * reserved-bit frames) at a real server over raw sockets, with and without an admin session.
 * Seeded (FUZZ_SEED). After each batch: the process is alive, /healthz answers, no guarded row
 * changed, and no answer was an internal error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { healthz, login, rawWs, snapshotRows } from './support/raw.js';
import { FUZZ_SEED, headerValue, junkPath, PATHS, requestTarget } from './support/fuzz.js';

const UPGRADES = Number(process.env.FUZZ_WS_UPGRADES ?? 1500);
const SOCKETS = Number(process.env.FUZZ_WS_SOCKETS ?? 1500);
const PARALLEL = 25;
const BATCH = 500;
const ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple' };
/** Procedures that write when given valid input; an authenticated socket aims at the others only. */
const WRITING = new Set(['auth.login', 'auth.logout', 'auth.setup', 'auth.register', 'invite.inspect']);

const upgrade = fc.record({
  target: fc.oneof(
    { weight: 3, arbitrary: fc.constant('/trpc') },
    { weight: 1, arbitrary: fc.constantFrom('/trpc?x=%', '/trpc/', '/trpc#', '/trpc?connectionParams=1') },
    { weight: 4, arbitrary: requestTarget },
  ),
  origin: fc.oneof({ weight: 3, arbitrary: fc.constant('valid' as const) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: headerValue }),
  headers: fc.array(
    fc.tuple(
      fc.constantFrom(
        'Sec-WebSocket-Key',
        'Sec-WebSocket-Version',
        'Upgrade',
        'Connection',
        'Cookie',
        'Sec-WebSocket-Protocol',
        'Sec-WebSocket-Extensions',
        'X-Forwarded-For',
        'Host',
      ),
      headerValue,
    ),
    { maxLength: 3 },
  ),
});

const envelope = fc.record(
  {
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.jsonValue()),
    jsonrpc: fc.constantFrom('2.0', '1.0', undefined),
    method: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('query', 'mutation', 'subscription', 'subscription.stop', 'connectionParams') },
      { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
    ),
    params: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record(
          { path: fc.oneof(fc.constantFrom(...PATHS), junkPath), input: fc.jsonValue(), lastEventId: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()) },
          { requiredKeys: ['path'] },
        ),
      },
      { weight: 1, arbitrary: fc.jsonValue() },
    ),
  },
  { requiredKeys: [] },
);

const frame = fc.oneof(
  { weight: 5, arbitrary: envelope.map((e) => ({ opcode: 1, payload: JSON.stringify(e) })) },
  { weight: 2, arbitrary: fc.array(envelope, { maxLength: 60 }).map((a) => ({ opcode: 1, payload: JSON.stringify(a) })) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.json(),
        fc.string({ maxLength: 100 }),
        fc.constantFrom('PING', 'PONG', '', '[]', '{}', 'null', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'),
      )
      .map((p) => ({ opcode: 1, payload: p })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ opcode: 1, payload: Buffer.from(b) })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ opcode: 2, payload: Buffer.from(b) })) },
  {
    weight: 1,
    arbitrary: fc.record({
      opcode: fc.integer({ min: 0, max: 15 }),
      payload: fc.uint8Array({ maxLength: 130 }).map((b) => Buffer.from(b)),
      mask: fc.boolean(),
      fin: fc.boolean(),
      rsv: fc.integer({ min: 0, max: 7 }),
    }),
  },
);
type Frame = { opcode: number; payload: string | Buffer; mask?: boolean; fin?: boolean; rsv?: number };
const socketCase = fc.record({ authenticated: fc.boolean(), frames: fc.array(frame, { minLength: 1, maxLength: 4 }) });

function internalErrors(messages: unknown[]): unknown[] {
  return messages.filter((m) => (m as any)?.error?.data?.code === 'INTERNAL_SERVER_ERROR' || (m as any)?.error?.data?.httpStatus >= 500);
}

describe('WebSocket fuzz', () => {
  let db: TestDatabase;
  let srv: ServerProcess;
  let sessionId: string;
  let before: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDatabase();
    srv = await startServerProcess(
      db.url,
      { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, WS_MAX_CONNECTIONS_PER_IP: '10000', WS_MAX_UNAUTHENTICATED: '10000' },
      { realLimits: true },
    );
    sessionId = await login(srv.url, srv.origin, ADMIN.email, ADMIN.password);
    before = await snapshotRows(db.url);
  });
  afterAll(async () => {
    // Unset when beforeAll failed before assigning them.
    await (srv as ServerProcess | undefined)?.stop();
    await (db as TestDatabase | undefined)?.drop();
  });

  async function checkpoint(failures: string[], label: string) {
    expect(failures, `seed ${FUZZ_SEED}`).toEqual([]);
    expect(srv.alive(), `server process alive after ${label}`).toBe(true);
    expect(await healthz(srv.port)).toBe(true);
    expect(await snapshotRows(db.url)).toEqual(before);
  }

  it(`survives ${UPGRADES} malformed upgrades (seed ${FUZZ_SEED})`, { timeout: 60_000 }, async () => {
    const cases = fc.sample(upgrade, { seed: FUZZ_SEED, numRuns: UPGRADES });
    let accepted = 0;
    for (let b = 0; b < cases.length; b += BATCH) {
      const failures: string[] = [];
      const batch = cases.slice(b, b + BATCH);
      for (let i = 0; i < batch.length; i += PARALLEL) {
        await Promise.all(
          batch.slice(i, i + PARALLEL).map(async (c, j) => {
            const headers = Object.fromEntries(c.headers);
            const ws = await rawWs(srv.port, { target: c.target, origin: c.origin === 'valid' ? srv.origin : c.origin, headers, timeoutMs: 5_000 });
            if (ws.status === 101) accepted++;
            if ((ws.status !== null && ws.status >= 500) || (ws.status === null && !ws.closed))
              failures.push(`upgrade ${b + i + j}: ${ws.status ?? 'no answer'} for ${JSON.stringify(c).slice(0, 300)}`);
            ws.close();
          }),
        );
      }
      await checkpoint(failures, `upgrade batch ${b / BATCH}`);
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it(`survives ${SOCKETS} sockets of malformed frames (seed ${FUZZ_SEED})`, { timeout: 60_000 }, async () => {
    const cases = fc.sample(socketCase, { seed: FUZZ_SEED + 1, numRuns: SOCKETS });
    let replies = 0;
    for (let b = 0; b < cases.length; b += BATCH) {
      const failures: string[] = [];
      const batch = cases.slice(b, b + BATCH);
      for (let i = 0; i < batch.length; i += PARALLEL) {
        await Promise.all(
          batch.slice(i, i + PARALLEL).map(async (c, j) => {
            const ws = await rawWs(srv.port, { origin: srv.origin, cookie: c.authenticated ? sessionId : undefined });
            if (ws.status !== 101) return failures.push(`socket ${b + i + j}: upgrade answered ${ws.status}`);
            for (const f of c.frames as Frame[]) {
              let payload = f.payload;
              // An admin's socket does not call procedures that write when their input happens to be valid.
              if (c.authenticated && typeof payload === 'string' && [...WRITING].some((p) => payload.includes(`"${p}"`)))
                payload = payload.replaceAll(/"(auth|invite)\.[a-z]+"/g, '"auth.me"');
              ws.send(f.opcode, payload, { mask: f.mask, fin: f.fin, rsv: f.rsv });
            }
            await new Promise((r) => setTimeout(r, 60));
            const messages = ws.messages();
            replies += messages.length;
            const bad = internalErrors(messages);
            if (bad.length) failures.push(`socket ${b + i + j}: internal error ${JSON.stringify(bad[0]).slice(0, 200)} for ${JSON.stringify(c).slice(0, 400)}`);
            ws.close();
          }),
        );
      }
      await checkpoint(failures, `frame batch ${b / BATCH}`);
    }
    expect(replies).toBeGreaterThan(SOCKETS / 2);
  });
});
