import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { appendEvent } from '../../../server/events/append.js';
import { MAX_BUFFERED_BYTES, STALL_MS } from '../../../server/events/subscription.js';
import { SESSION_COOKIE } from '../../../shared/constants.js';
import { sleep } from './live-support.js';

/** A raw WebSocket speaking tRPC's protocol, so the test controls when (and whether) it reads. */
async function rawSubscriber(app: TestApp, sessionId: string) {
  const ws = new WebSocket(app.url.replace(/^http/, 'ws') + '/trpc', { headers: { origin: app.origin, cookie: `${SESSION_COOKIE}=${sessionId}` } });
  let received = 0;
  let started!: () => void;
  const startedP = new Promise<void>((r) => (started = r));
  ws.on('message', (raw) => {
    // ws delivers a Buffer (the default binaryType, 'nodebuffer').
    const msg = JSON.parse((raw as Buffer).toString());
    if (msg.result?.type === 'started') started();
    if (msg.result?.type === 'data') received++;
  });
  await new Promise((res, rej) => ws.once('open', res).once('error', rej));
  ws.send(JSON.stringify({ id: 1, method: 'subscription', params: { path: 'admin.events.onUserEvent', input: { lastEventId: null } } }));
  await startedP;
  return { ws, received: () => received, tcp: (ws as unknown as { _socket: Socket })._socket };
}

/** Big settings.changed events (about 256 KB each), so kernel buffers fill quickly. */
async function appendBigEvents(app: TestApp, count: number, actorId: string) {
  const blob = 'x'.repeat(256 * 1024);
  for (let i = 0; i < count; i += 10) {
    await app.services.em().transactional(async (tx) => {
      for (let j = i; j < Math.min(count, i + 10); j++) await appendEvent(tx, 'settings.changed', { changes: { note: { from: j, to: blob } } }, { actorId });
    });
  }
}

describe('live stream backpressure', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
  });
  afterAll(() => app.stop());

  it('cuts off a subscriber that stops reading once its send buffer passes the bound, instead of buffering everything', async () => {
    const slow = await rawSubscriber(app, admin.sessionId);
    try {
      const serverSide = [...app.wss.clients][0]!;
      let maxBuffered = 0;
      const sampler = setInterval(() => (maxBuffered = Math.max(maxBuffered, serverSide.bufferedAmount)), 5);
      const closed = new Promise<number>((r) => serverSide.once('close', () => r(Date.now())));
      // The client stops reading: the kernel buffers fill, then the server's own buffer grows.
      slow.tcp.pause();
      const t0 = Date.now();
      await appendBigEvents(app, 160, admin.id); // ~40 MB in total
      const closedAt = await Promise.race([closed, sleep(STALL_MS + 15_000).then(() => -1)]);
      clearInterval(sampler);
      expect(closedAt, 'the server closed the slow connection').toBeGreaterThan(0);
      expect(closedAt - t0).toBeLessThan(STALL_MS + 15_000);
      // The server never held much more than the bound (plus the one message that crossed it).
      expect(maxBuffered).toBeGreaterThan(MAX_BUFFERED_BYTES);
      expect(maxBuffered).toBeLessThan(MAX_BUFFERED_BYTES + 2 * 300 * 1024);
      expect(app.wss.clients.size).toBe(0);
    } finally {
      slow.ws.terminate();
    }
  }, 60_000);

  it('keeps a subscriber that reads, even through a burst larger than the bound', async () => {
    const reader = await rawSubscriber(app, admin.sessionId);
    try {
      await appendBigEvents(app, 40, admin.id); // ~10 MB
      const deadline = Date.now() + 20_000;
      while (reader.received() < 40 && Date.now() < deadline) await sleep(20);
      expect(reader.received()).toBe(40);
      expect(reader.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      reader.ws.terminate();
    }
  }, 60_000);
});
