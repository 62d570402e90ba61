import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { appendEvent } from '../../../server/events/append.js';
import { deliveryOptions, MAX_BUFFERED_BYTES } from '../../../server/events/subscription.js';
import { noteSubscriptionStarts, takeStartedPrefix } from '../../../server/events/live-frames.js';
import { jsonEncoder } from '@trpc/server/adapters/ws';
import { SESSION_COOKIE } from '../../../shared/constants.js';
import { registerFixture, sleep } from './live-support.js';

/**
 * The live stream's broadcast path (events/live-frames.ts, subscription.ts): each event encoded
 * once per batch, each socket sent tRPC's own frame bytes, resumable ids, and a socket that does
 * not read holding nobody else back.
 */

interface Request {
  id: number | string;
  jsonrpc?: '2.0';
  lastEventId?: string | null;
}

/** A raw WebSocket speaking tRPC's protocol, keeping every data frame's exact bytes. */
async function rawSocket(app: TestApp, sessionId: string, requests: Request[]) {
  const ws = new WebSocket(app.url.replace(/^http/, 'ws') + '/trpc', {
    headers: { origin: app.origin, cookie: `${SESSION_COOKIE}=${sessionId}` },
    perMessageDeflate: false,
  });
  const frames: Buffer[] = [];
  const others: string[] = [];
  const started = new Set<number | string>();
  let allStarted!: () => void;
  const startedP = new Promise<void>((r) => (allStarted = r));
  ws.on('message', (raw) => {
    const buf = raw as Buffer;
    const msg = JSON.parse(buf.toString());
    if (msg.result?.type === 'data') frames.push(buf);
    else others.push(buf.toString());
    if (msg.result?.type === 'started') {
      started.add(msg.id);
      if (started.size === requests.length) allStarted();
    }
  });
  await new Promise((res, rej) => ws.once('open', res).once('error', rej));
  const msgs = requests.map((r) => ({
    id: r.id,
    ...(r.jsonrpc ? { jsonrpc: r.jsonrpc } : {}),
    method: 'subscription',
    params: { path: 'admin.events.onUserEvent', input: { lastEventId: r.lastEventId ?? null } },
  }));
  ws.send(JSON.stringify(msgs.length === 1 ? msgs[0] : msgs));
  await startedP;
  return {
    ws,
    frames,
    others,
    tcp: (ws as unknown as { _socket: Socket })._socket,
    /** The data frames parsed: the subscription id, the tracked id (twice on the wire) and the event. */
    parsed: () =>
      frames.map((f) => {
        const m = JSON.parse(f.toString());
        return { op: m.id, jsonrpc: m.jsonrpc, trackedId: m.result.id, innerId: m.result.data.id, event: m.result.data.data };
      }),
  };
}

async function waitUntil(done: () => boolean, what: () => string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await sleep(20);
  }
}

describe('live stream broadcast path', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
  });
  afterAll(() => app.stop());

  it('sends the bytes tRPC itself sends (ids, jsonrpc, tracked id, counts, replay and live)', async () => {
    const first = await registerFixture(app);
    const missed = await registerFixture(app);
    const resumeFrom = String(first.eventId);
    const requests: Request[] = [{ id: 1 }, { id: 'live-7', jsonrpc: '2.0' }, { id: 2, lastEventId: resumeFrom }];
    // The same subscriptions through tRPC's own loop (each event yielded, encoded by tRPC) and through the broadcast path.
    deliveryOptions.direct = false;
    let viaTrpc;
    try {
      viaTrpc = await rawSocket(app, admin.sessionId, requests);
    } finally {
      deliveryOptions.direct = true;
    }
    const direct = await rawSocket(app, admin.sessionId, requests);
    try {
      const reg = await registerFixture(app, { email: `zoë.ünïcode.${Date.now()}@example.test` });
      const [mail, settings] = await app.services
        .em()
        .transactional(async (tx) => [
          await appendEvent(tx, 'email.sent', { outboxId: 1, template: 'welcome', to: reg.email }, { actorId: null, userId: reg.userId }),
          await appendEvent(tx, 'settings.changed', { changes: { note: { from: 'a "quoted" \u2028 line', to: '😀 \\ </script>' } } }, { actorId: admin.id }),
        ]);
      // Every subscription has the settings event (the last one) on both sockets.
      const has = (s: typeof direct, op: number | string) => s.parsed().some((p) => p.op === op && p.event.id === settings);
      await waitUntil(
        () => requests.every((r) => has(direct, r.id) && has(viaTrpc, r.id)),
        () => `direct ${direct.frames.length} frames, tRPC ${viaTrpc.frames.length} frames`,
      );
      await sleep(100);
      // Byte for byte the same frames, in the same order, for each subscription.
      const framesOf = (s: typeof direct, op: number | string) => s.frames.filter((f) => JSON.parse(f.toString()).id === op).map((f) => f.toString());
      for (const r of requests) expect(framesOf(direct, r.id)).toEqual(framesOf(viaTrpc, r.id));
      const frames = direct.parsed();
      // Each subscription gets its own id (and jsonrpc when it sent one), the tracked id in both places.
      for (const r of requests) {
        const mine = frames.filter((f) => f.op === r.id);
        expect(mine.every((f) => f.jsonrpc === r.jsonrpc && f.trackedId === String(f.event.id) && f.innerId === f.trackedId)).toBe(true);
        const ids = mine.map((f) => f.event.id);
        expect(ids).not.toContain(mail);
        expect(ids.slice(-2)).toEqual([reg.eventId, settings]);
      }
      // The resumed subscription replayed from the table, then went live: no gap, no repeat.
      expect(frames.filter((f) => f.op === 2).map((f) => f.event.id)).toEqual([missed.eventId, reg.eventId, settings]);
      expect(frames.filter((f) => f.op === 1).map((f) => f.event.id)).toEqual([reg.eventId, settings]);
      // The registration changed the counts: they ride on the live copies of its event.
      expect(frames.find((f) => f.op === 1 && f.event.counts)?.event.counts).toMatchObject({
        byStatus: { pending: expect.any(Number) },
        total: expect.any(Number),
      });
    } finally {
      direct.ws.terminate();
      viaTrpc.ws.terminate();
    }
  });

  it("encodes an event's JSON once per process, whatever the number of subscribers", async () => {
    const count = async (subscribers: number) => {
      const sockets = await Promise.all(Array.from({ length: subscribers }, () => rawSocket(app, admin.sessionId, [{ id: 1 }])));
      const marker = `marker.${subscribers}.${Date.now()}@example.test`;
      let encodings = 0;
      const stringify = JSON.stringify;
      const spy = vi.spyOn(JSON, 'stringify').mockImplementation(function (this: unknown, ...args: Parameters<typeof JSON.stringify>) {
        const out = stringify.apply(JSON, args);
        if (typeof out === 'string' && out.includes(marker)) encodings++;
        return out;
      } as typeof JSON.stringify);
      try {
        const reg = await registerFixture(app, { email: marker });
        await waitUntil(
          () => sockets.every((s) => s.parsed().some((p) => p.event.id === reg.eventId)),
          () => 'every socket has the event',
        );
        await sleep(50);
      } finally {
        spy.mockRestore();
        for (const s of sockets) s.ws.terminate();
      }
      return encodings;
    };
    const one = await count(1);
    const many = await count(12);
    // Twelve sockets cost no more encodings than one (the append's own serialisation counts in both).
    expect(many).toBe(one);
  });

  it('gives two subscriptions opened in one frame on one socket their own ids', async () => {
    const start = await registerFixture(app);
    const s = await rawSocket(app, admin.sessionId, [
      { id: 5, lastEventId: String(start.eventId - 1) },
      { id: 'x', jsonrpc: '2.0' },
    ]);
    try {
      const reg = await registerFixture(app);
      await waitUntil(
        () => s.parsed().filter((p) => p.event.id === reg.eventId).length === 2,
        () => JSON.stringify(s.parsed().map((p) => [p.op, p.event.id])),
      );
      const frames = s.parsed();
      expect(frames.filter((f) => f.op === 5).map((f) => f.event.id)).toEqual([start.eventId, reg.eventId]);
      expect(frames.filter((f) => f.op === 'x').map((f) => [f.event.id, f.jsonrpc])).toEqual([[reg.eventId, '2.0']]);
    } finally {
      s.ws.terminate();
    }
  });

  it('keeps delivering to the others while one socket does not read', async () => {
    const slow = await rawSocket(app, admin.sessionId, [{ id: 1 }]);
    const readers = await Promise.all([1, 2, 3].map(() => rawSocket(app, admin.sessionId, [{ id: 1 }])));
    const serverSlow = [...app.wss.clients].find((c) => (c as unknown as { _socket: Socket })._socket.remotePort === slow.tcp.localPort)!;
    let maxBuffered = 0;
    const sampler = setInterval(() => (maxBuffered = Math.max(maxBuffered, serverSlow.bufferedAmount)), 5);
    try {
      slow.tcp.pause();
      // ~256 KB each: the slow socket's kernel buffers fill, then its send buffer passes the bound.
      const blob = 'x'.repeat(256 * 1024);
      const appended: number[] = [];
      for (let i = 0; i < 48; i += 4)
        appended.push(
          ...(await app.services.em().transactional(async (tx) => {
            const out: number[] = [];
            for (let j = i; j < i + 4; j++)
              out.push(await appendEvent(tx, 'settings.changed', { changes: { note: { from: j, to: blob } } }, { actorId: admin.id }));
            return out;
          })),
        );
      await waitUntil(
        () => readers.every((r) => r.frames.length >= appended.length),
        () => `readers have ${readers.map((r) => r.frames.length).join(', ')} of ${appended.length}`,
        30_000,
      );
      // The readers got every event, in order, while the slow socket had read none and was held at its bound.
      for (const r of readers) expect(r.parsed().map((p) => p.event.id)).toEqual(appended);
      expect(slow.frames).toHaveLength(0);
      expect(maxBuffered).toBeGreaterThan(MAX_BUFFERED_BYTES);
      expect(maxBuffered).toBeLessThan(MAX_BUFFERED_BYTES + 2 * 300 * 1024);
    } finally {
      clearInterval(sampler);
      slow.ws.terminate();
      for (const r of readers) r.ws.terminate();
    }
  }, 60_000);
});

describe('live-frames: the started prefix', () => {
  const encoder = noteSubscriptionStarts(jsonEncoder);

  it("takes a subscription's prefix from its started response, exactly as encoded", () => {
    expect(encoder.encode({ id: 1, jsonrpc: undefined, result: { type: 'started' } })).toBe('{"id":1,"result":{"type":"started"}}');
    expect(takeStartedPrefix()).toBe('{"id":1,');
    expect(takeStartedPrefix()).toBeNull();
    encoder.encode({ id: 'a"b', jsonrpc: '2.0', result: { type: 'started' } });
    expect(takeStartedPrefix()).toBe('{"id":"a\\"b","jsonrpc":"2.0",');
  });

  it('never hands out a prefix once another frame was encoded, or after the microtask', async () => {
    encoder.encode({ id: 3, result: { type: 'started' } });
    encoder.encode({ id: 4, result: { type: 'data', data: 1 } });
    expect(takeStartedPrefix()).toBeNull();
    encoder.encode({ id: 3, result: { type: 'started' } });
    await Promise.resolve();
    expect(takeStartedPrefix()).toBeNull();
    expect(encoder.decode('{"a":1}')).toEqual({ a: 1 });
    expect(() => encoder.decode(new Uint8Array([1]))).toThrow();
  });
});
