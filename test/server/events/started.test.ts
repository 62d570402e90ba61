import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { ids, registerFixture, sleep, subscribeLive } from './live-support.js';

/**
 * `started` means the stream's starting point is fixed: an event that commits after the client
 * saw `started` is delivered, even when the subscription was opened without lastEventId (it then
 * starts after the newest committed event, and that read must not happen after `started`).
 */
describe('admin.events.onUserEvent: started means the cursor is fixed', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
  });
  afterAll(() => app.stop());

  async function subscribeThenCommit() {
    const live = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin });
    try {
      await live.started;
      const { eventId } = await registerFixture(app);
      await live.waitFor((e) => e.some((x) => x.id === eventId), 5_000);
      expect(ids(live.events)).toEqual([eventId]);
    } finally {
      live.close();
    }
  }

  it('delivers an event committed right after started, even when reading the starting point is slow', async () => {
    // A loaded machine, made repeatable: the server's "newest committed event" read (the cursor of a
    // subscription without lastEventId) takes 150 ms. The database and the queries stay real.
    const realEm = app.services.em;
    app.services.em = () => {
      const em = realEm();
      const execute = em.execute.bind(em) as (...args: unknown[]) => Promise<unknown>;
      (em as { execute: unknown }).execute = async (...args: unknown[]) => {
        if (typeof args[0] === 'string' && /max\(id\)/.test(args[0])) await sleep(150);
        return execute(...args);
      };
      return em;
    };
    try {
      for (let i = 0; i < 3; i++) await subscribeThenCommit();
    } finally {
      app.services.em = realEm;
    }
  });

  it('delivers an event committed right after started, 40 times in a row', async () => {
    for (let i = 0; i < 40; i++) await subscribeThenCommit();
  });
});
