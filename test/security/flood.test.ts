/**
 * The flood from issue 10: one socket sends ~10,000 `auth.me` frames a second for 3 s. The
 * flooding socket must get TOO_MANY_REQUESTS error frames and then a 1008 close, while another
 * user's requests keep completing (a generous 2 s liveness bound, not a speed target; the speed
 * figures are `npm run bench:flood`'s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { healthz, login, rawWs } from './support/raw.js';
import { SESSION_COOKIE } from '../../shared/constants.js';

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple' };

describe('a WebSocket flood', () => {
  let db: TestDatabase;
  let srv: ServerProcess;
  beforeAll(async () => {
    db = await createTestDatabase();
    srv = await startServerProcess(db.url, { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
  });
  afterAll(async () => {
    // Unset when beforeAll failed before assigning them.
    await (srv as ServerProcess | undefined)?.stop();
    await (db as TestDatabase | undefined)?.drop();
  });

  it('is refused, then closed with 1008, while another user is served', { timeout: 30_000 }, async () => {
    const other = await login(srv.url, srv.origin, ADMIN.email, ADMIN.password);
    const flooder = await rawWs(srv.port, { origin: srv.origin });
    expect(flooder.status).toBe(101);

    // Another user asks for auth.me over HTTP every 100 ms for the whole flood.
    const latencies: number[] = [];
    const floodStart = Date.now();
    const otherUser = (async () => {
      while (Date.now() - floodStart < 3_500) {
        const t0 = performance.now();
        const r = await fetch(`${srv.url}/trpc/auth.me`, { headers: { cookie: `${SESSION_COOKIE}=${other}` }, signal: AbortSignal.timeout(10_000) });
        const body = await r.json();
        latencies.push(performance.now() - t0);
        expect(r.status).toBe(200);
        expect(body.result.data.user.email).toBe(ADMIN.email);
        await new Promise((res) => setTimeout(res, 100));
      }
    })();

    let id = 0;
    let sent = 0;
    const start = Date.now();
    while (Date.now() - start < 3_000 && !flooder.closed) {
      const tick = Date.now();
      for (let i = 0; i < 100; i++) flooder.text({ id: ++id, method: 'query', params: { path: 'auth.me' } });
      sent += 100;
      // 100 frames every 10 ms: 10,000 frames a second.
      await new Promise((res) => setTimeout(res, Math.max(0, 10 - (Date.now() - tick))));
    }
    await otherUser;
    await new Promise((res) => setTimeout(res, 500));

    const replies = flooder.messages() as any[];
    const refusals = replies.filter((m) => m?.error?.data?.code === 'TOO_MANY_REQUESTS');
    const answered = replies.filter((m) => m?.result);
    expect(sent).toBeGreaterThan(100);
    expect(refusals.length).toBeGreaterThan(0);
    expect(answered.length).toBeLessThan(200);
    expect(flooder.closed).toBe(true);
    expect(flooder.closeCode).toBe(1008);
    // The refusals came before the close.
    const closeIndex = flooder.frames.findIndex((f) => f.opcode === 8);
    const firstRefusal = flooder.frames.findIndex((f) => f.opcode === 1 && f.payload.includes('TOO_MANY_REQUESTS'));
    expect(firstRefusal).toBeGreaterThanOrEqual(0);
    expect(firstRefusal).toBeLessThan(closeIndex);

    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(2_000);
    expect(srv.alive()).toBe(true);
    expect(await healthz(srv.port)).toBe(true);
    flooder.close();
  });
});
