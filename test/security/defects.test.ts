/**
 * One test per defect that issue 10 found from outside (its "Why"): each failed before the fix.
 * The flood has its own file (flood.test.ts). The server runs in a child process, so a crash is
 * seen as the process exiting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { healthz, login, rawHttp, rawWs, waitClosed, type RawWs } from './support/raw.js';
import { SESSION_COOKIE } from '../../shared/constants.js';

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple' };

describe('defects from the outside probe', () => {
  let db: TestDatabase;
  let srv: ServerProcess;
  beforeAll(async () => {
    db = await createTestDatabase();
    // LOG_LEVEL=warn and METRICS=true: the stall case waits on the server's log line and event counter, not on sleeps.
    srv = await startServerProcess(db.url, {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      STREAM_STALL_MS: '1000',
      LOG_LEVEL: 'warn',
      METRICS: 'true',
    });
  });
  afterAll(async () => {
    // Unset when beforeAll failed before assigning them.
    await (srv as ServerProcess | undefined)?.stop();
    await (db as TestDatabase | undefined)?.drop();
  });

  it('GET /trpc/% answers 400 and the process lives', async () => {
    for (const target of ['/trpc/%', '/trpc/%E0%A4%A', '/trpc/auth.me%', '/trpc/%?batch=1', '/%', '/assets/%ZZ']) {
      const r = await rawHttp(srv.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      expect(r.status, target).toBe(400);
      expect(r.raw).toMatch(/malformed|invalid|bad request/i);
    }
    expect(srv.alive()).toBe(true);
    expect(await healthz(srv.port)).toBe(true);
  });

  it('a WebSocket upgrade whose target is not a valid URL answers 400 and the process lives', async () => {
    for (const target of ['http://a:99999/trpc', '//[', 'http://[/trpc']) {
      const ws = await rawWs(srv.port, { target, origin: srv.origin });
      expect(ws.status, target).toBe(400);
      ws.close();
    }
    expect(srv.alive()).toBe(true);
    expect(await healthz(srv.port)).toBe(true);
  });

  it('a malformed cookie answers 400, not 500', async () => {
    const r = await rawHttp(srv.port, `GET /trpc/auth.me HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${SESSION_COOKIE}=%\r\n\r\n`);
    expect(r.status).toBe(400);
    const ws = await rawWs(srv.port, { origin: srv.origin, headers: { Cookie: `a=%E0; ${SESSION_COOKIE}=x` } });
    expect(ws.status).toBe(400);
    ws.close();
    expect(srv.alive()).toBe(true);
  });

  it('2,000 unauthenticated sockets from one IP: only the per-IP cap is accepted, the rest get 429', { timeout: 60_000 }, async () => {
    const open: RawWs[] = [];
    const statuses: number[] = [];
    try {
      for (let i = 0; i < 2000; i += 100) {
        const batch = await Promise.all(Array.from({ length: 100 }, () => rawWs(srv.port, { origin: srv.origin, localAddress: '127.0.0.9' })));
        for (const ws of batch) {
          statuses.push(ws.status ?? 0);
          if (ws.status === 101) open.push(ws);
          else ws.close();
        }
      }
      const accepted = statuses.filter((s) => s === 101).length;
      expect(accepted).toBeGreaterThan(0);
      expect(accepted).toBeLessThanOrEqual(20);
      expect(statuses.filter((s) => s === 429).length).toBe(2000 - accepted);
      // Another address is not held back by this one.
      const other = await rawWs(srv.port, { origin: srv.origin, localAddress: '127.0.0.10' });
      expect(other.status).toBe(101);
      other.close();
    } finally {
      for (const ws of open) ws.close();
    }
    expect(srv.alive()).toBe(true);
  });

  it('an HTTP batch of 1,900 calls is refused with 400; so is a WebSocket batch', async () => {
    const path = Array.from({ length: 1900 }, () => 'auth.me').join(',');
    const input = encodeURIComponent(JSON.stringify({}));
    const r = await rawHttp(srv.port, `GET /trpc/${path}?batch=1&input=${input} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expect(r.status).toBe(400);
    expect(r.raw).toContain('Batch call exceeds maximum size');

    const ws = await rawWs(srv.port, { origin: srv.origin });
    expect(ws.status).toBe(101);
    // 1,000 calls in one frame (what fits in the 64 KiB frame limit).
    ws.text(Array.from({ length: 1000 }, (_, i) => ({ id: i + 1, method: 'query', params: { path: 'auth.me' } })));
    await new Promise((r) => setTimeout(r, 500));
    const replies = ws.messages() as any[];
    expect(replies.some((m) => m?.error?.message === 'Batch call exceeds maximum size')).toBe(true);
    expect(replies.filter((m) => m?.result).length).toBe(0);
    ws.close();
  });

  // Starts a second database and server process: on a busy machine that alone can take longer than the default 30 s.
  it('an idle unauthenticated socket is closed after the timeout', { timeout: 120_000 }, async () => {
    // This server's timeout is the default; a second server with a short one proves the rule quickly.
    const db2 = await createTestDatabase();
    const s2 = await startServerProcess(db2.url, { WS_UNAUTHENTICATED_IDLE_MS: '300' });
    try {
      const ws = await rawWs(s2.port, { origin: s2.origin });
      expect(ws.status).toBe(101);
      // A bound, not a measurement: the server closes it after 300 ms; a loaded machine may take longer to get there.
      expect(await waitClosed(ws, 20_000)).toBe(true);
      expect(ws.closeCode).toBe(1008);
    } finally {
      await s2.stop();
      await db2.drop();
    }
  });

  it('an HTTP (SSE) subscription that never reads is cut off like a WebSocket one', { timeout: 90_000 }, async () => {
    // Enough events to fill every buffer between the server and a client that does not read.
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const pad = 'x'.repeat(1000);
    const n = 30_000;
    const before = await eventsDelivered();
    await c.query(
      `insert into domain_event (type, data, created_at) select 'user.updated', jsonb_build_object('pad', $1::text, 'n', g), now() from generate_series(1, $2::int) g`,
      [pad, n],
    );
    // The process's live position moves past them (as after any commit), so they come by replay:
    // wait until its event bus has published them all (its counter), however busy the machine is.
    await c.query(`select pg_notify('admit_events', (select max(id)::text from domain_event))`);
    await c.end();
    await until(async () => (await eventsDelivered()) >= before + n, 60_000, 'the server did not take in the new events');
    const cutOff = 'event stream subscriber stopped reading; closing its connection';
    const cutsBefore = (await srv.logged()).filter((m) => m === cutOff).length;
    const sid = await login(srv.url, srv.origin, ADMIN.email, ADMIN.password);
    const input = encodeURIComponent(JSON.stringify({ lastEventId: 0 }));
    const s = net.connect({ port: srv.port, host: '127.0.0.1' });
    await new Promise((r) => s.once('connect', r));
    s.pause();
    s.write(
      `GET /trpc/admin.events.onUserEvent?input=${input} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nCookie: ${SESSION_COOKIE}=${sid}\r\n\r\n`,
    );
    // The client reads nothing until the server says it cut the stream off (after 1 s of stall here)…
    await until(async () => (await srv.logged()).filter((m) => m === cutOff).length > cutsBefore, 60_000, 'the server never cut the stalled stream off');
    // …then reads what was sent: the stream has ended (the server did not wait forever).
    let bytes = 0;
    const ended = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 30_000);
      s.on('data', (d) => (bytes += d.length));
      s.once('end', () => (clearTimeout(t), resolve(true)));
      s.once('close', () => (clearTimeout(t), resolve(true)));
      s.resume();
    });
    s.destroy();
    expect(bytes).toBeGreaterThan(0);
    expect(ended).toBe(true);
    expect(srv.alive()).toBe(true);
  });

  /** admit_events_delivered_total of the server (its event bus's count). */
  async function eventsDelivered(): Promise<number> {
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    return Number(/^admit_events_delivered_total (\d+)/m.exec(text)?.[1] ?? NaN);
  }
});

/** Polls `cond` every 50 ms until it holds; fails with `what` after timeoutMs. */
async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 50));
  }
}
