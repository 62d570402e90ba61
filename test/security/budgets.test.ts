/** The WebSocket budgets one by one: unauthenticated cap overall, in-flight requests per socket. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { encodeFrame, login, rawWs, type RawWs } from './support/raw.js';

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple' };

describe('WebSocket budgets', () => {
  let db: TestDatabase;
  let srv: ServerProcess;
  beforeAll(async () => {
    db = await createTestDatabase();
    srv = await startServerProcess(db.url, {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      WS_MAX_CONNECTIONS_PER_IP: '3',
      WS_MAX_UNAUTHENTICATED: '5',
      WS_MAX_IN_FLIGHT: '4',
    });
  });
  afterAll(async () => {
    // Unset when beforeAll failed before assigning them.
    await (srv as ServerProcess | undefined)?.stop();
    await (db as TestDatabase | undefined)?.drop();
  });

  it('caps unauthenticated sockets overall (503), while a signed-in user still connects', async () => {
    const open: RawWs[] = [];
    try {
      const statuses: number[] = [];
      for (const ip of ['127.0.1.1', '127.0.1.2', '127.0.1.3']) {
        for (let i = 0; i < 3; i++) {
          const ws = await rawWs(srv.port, { origin: srv.origin, localAddress: ip });
          statuses.push(ws.status ?? 0);
          open.push(ws);
        }
      }
      expect(statuses.filter((s) => s === 101).length).toBe(5);
      expect(statuses.filter((s) => s === 503).length).toBe(4);
      const sid = await login(srv.url, srv.origin, ADMIN.email, ADMIN.password);
      const admin = await rawWs(srv.port, { origin: srv.origin, cookie: sid, localAddress: '127.0.1.4' });
      expect(admin.status).toBe(101);
      open.push(admin);
      // A fourth socket from one address is refused by the per-IP cap, session or not.
      const more = await Promise.all([1, 2, 3].map(() => rawWs(srv.port, { origin: srv.origin, cookie: sid, localAddress: '127.0.1.4' })));
      open.push(...more);
      expect(more.map((w) => w.status)).toEqual([101, 101, 429]);
      // Closing frees the slots.
      for (const ws of open.splice(0)) ws.close();
      await new Promise((r) => setTimeout(r, 200));
      const again = await rawWs(srv.port, { origin: srv.origin, localAddress: '127.0.1.1' });
      expect(again.status).toBe(101);
      open.push(again);
    } finally {
      for (const ws of open) ws.close();
    }
  });

  it('refuses queries beyond the in-flight limit with TOO_MANY_REQUESTS, and answers the rest', async () => {
    const ws = await rawWs(srv.port, { origin: srv.origin, localAddress: '127.0.2.1' });
    expect(ws.status).toBe(101);
    // Both frames in one TCP write: the server reads the second before any answer to the first.
    ws.socket.write(
      Buffer.concat([
        encodeFrame(1, JSON.stringify(Array.from({ length: 4 }, (_, i) => ({ id: i + 1, method: 'query', params: { path: 'auth.me' } })))),
        encodeFrame(1, JSON.stringify({ id: 99, method: 'query', params: { path: 'auth.me' } })),
      ]),
    );
    await new Promise((r) => setTimeout(r, 500));
    const replies = ws.messages() as any[];
    const refused = replies.find((m) => m.id === 99);
    expect(refused?.error?.data?.code).toBe('TOO_MANY_REQUESTS');
    expect(refused?.error?.message).toMatch(/in flight/);
    expect(replies.filter((m) => m.result && [1, 2, 3, 4].includes(m.id)).length).toBe(4);
    // Once answered, the slots are free again.
    ws.text({ id: 100, method: 'query', params: { path: 'auth.me' } });
    await new Promise((r) => setTimeout(r, 300));
    expect((ws.messages() as any[]).find((m) => m.id === 100)?.result).toBeDefined();
    ws.close();
  });
});
