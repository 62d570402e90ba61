import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { registerFixture, subscribeLive, sleep } from './live-support.js';
import type { DomainEventDto } from '../../../shared/events.js';

async function until(cond: () => boolean, timeoutMs = 10_000, what = 'condition') {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Registers `count` users with `writers` concurrent transactions; returns their event ids. */
async function registerMany(app: TestApp, count: number, writers: number): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < count) {
        next++;
        out.push((await registerFixture(app)).eventId);
      }
    }),
  );
  return out;
}

/** What the users list does with the stream: a row per registered user, keyed by id. */
function applyToList(events: DomainEventDto[]) {
  const rows = new Map<string, number>();
  for (const e of events) if (e.type === 'user.registered') rows.set(e.userId!, (rows.get(e.userId!) ?? 0) + 1);
  return rows;
}

async function listenerPids(app: TestApp): Promise<number[]> {
  const rows = await sql(app, `select pid from pg_stat_activity where datname = current_database() and application_name = 'admit-events-listener'`);
  return rows.map((r) => Number(r.pid));
}

describe('live stream resilience', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
  });
  afterAll(() => app.stop());

  it('1,000 registrations while the admin socket is killed 20 times at random: the list ends with exactly the 1,000, no duplicates', async () => {
    // As the dashboard does: read the position first, so even a drop before the first event resumes from it.
    const { lastEventId } = await admin.caller.admin.events.position();
    const live = subscribeLive(app.url, {
      sessionId: admin.sessionId,
      origin: app.origin,
      lastEventId,
      retryDelayMs: () => 20 + Math.floor(Math.random() * 40),
    });
    try {
      await live.started;
      // 21 segments of random size; during each of the first 20 the server side of the admin's socket is terminated at a random moment.
      const cuts = Array.from({ length: 20 }, () => 1 + Math.floor(Math.random() * 998)).sort((a, b) => a - b);
      const bounds = [0, ...cuts, 1000];
      const committed: number[] = [];
      let kills = 0;
      for (let s = 0; s < 21; s++) {
        const size = bounds[s + 1]! - bounds[s]!;
        const writes = registerMany(app, size, 4);
        if (s < 20) {
          // Only a live connection counts as a kill: wait for the client to be back (it reconnects with lastEventId).
          await until(() => app.wss.clients.size > 0 && live.opens() === kills + 1, 10_000, 'the admin to reconnect');
          await sleep(Math.random() * 25);
          for (const c of app.wss.clients) c.terminate();
          kills++;
        }
        committed.push(...(await writes));
      }
      expect(kills).toBe(20);
      await live.waitFor((e) => e.length >= 1000, 20_000);
      await sleep(300);

      const received = live.events.map((e) => e.id);
      // Never an id twice, never out of order, across 20 reconnects.
      for (let i = 1; i < received.length; i++) expect(received[i]!).toBeGreaterThan(received[i - 1]!);
      expect(received).toEqual([...committed].sort((a, b) => a - b));
      const list = applyToList(live.events);
      expect(list.size).toBe(1000);
      expect([...list.values()].every((n) => n === 1)).toBe(true);
      expect(live.opens()).toBeGreaterThanOrEqual(21);
      expect(live.error()).toBeNull();
    } finally {
      live.close();
    }
  }, 120_000);

  it('loses nothing when the LISTEN connection is killed with pg_terminate_backend mid-stream', async () => {
    const live = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin });
    try {
      await live.started;
      const [pid] = await listenerPids(app);
      expect(pid).toBeTypeOf('number');
      const committed: number[] = [];
      const killed: number[] = [];
      for (let k = 0; k < 4; k++) {
        const writes = registerMany(app, 75, 3);
        if (k < 3) {
          // Mid-segment, once the listener is back from the previous kill.
          let target: number | undefined;
          const deadline = Date.now() + 10_000;
          while (target === undefined && Date.now() < deadline) {
            target = (await listenerPids(app)).find((p) => !killed.includes(p));
            if (target === undefined) await sleep(10);
          }
          expect(target, 'the listener reconnected').toBeDefined();
          await sleep(Math.random() * 20);
          await sql(app, `select pg_terminate_backend(?)`, [target]);
          killed.push(target!);
        }
        committed.push(...(await writes));
      }
      expect(killed).toHaveLength(3);
      await live.waitFor((e) => e.length >= 300, 20_000);
      await sleep(200);
      expect(live.events.map((e) => e.id)).toEqual([...committed].sort((a, b) => a - b));
      // It came back on a new connection, and still just one.
      const now = await listenerPids(app);
      expect(now).toHaveLength(1);
      expect(killed).not.toContain(now[0]);
      // The admin's own socket never had to reconnect.
      expect(live.opens()).toBe(1);
    } finally {
      live.close();
    }
  });

  it('catches up on events committed while the LISTEN connection was down', async () => {
    const live = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin });
    try {
      await live.started;
      const [pid] = await listenerPids(app);
      await sql(app, `select pg_terminate_backend(?)`, [pid]);
      // Committed while nobody listens: their NOTIFYs reach no one.
      const during = [await registerFixture(app), await registerFixture(app)].map((r) => r.eventId);
      await live.waitFor((e) => e.length >= 2, 15_000);
      expect(live.events.map((e) => e.id)).toEqual(during);
    } finally {
      live.close();
    }
  });
});
