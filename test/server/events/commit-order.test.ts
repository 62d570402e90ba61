import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, sql, type TestApp } from '../../support/app.js';
import { adminSession, uniqueEmail } from '../../support/users.js';
import { appendEvent } from '../../../server/events/append.js';
import { loadUserSnapshot } from '../../../server/users/users.repository.js';
import { ids, sleep, subscribeLive } from './live-support.js';

/** A sign-up's transaction, held open after its event until `release` is called. */
function heldRegistration(app: TestApp) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let appended!: (id: number) => void;
  const appendedId = new Promise<number>((r) => (appended = r));
  const committed = app.services
    .em()
    .transactional(async (tx: EntityManager) => {
      const id = randomUUID();
      await tx.execute(
        `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
         values (?, ?, 'Order', 'Test', (select id from organisation where is_default), 'developer', 'pending', null, false, now(), now(), 1)`,
        [id, uniqueEmail('order')],
      );
      const user = (await loadUserSnapshot(tx, id))!;
      const eventId = await appendEvent(tx, 'user.registered', { user, autoApproved: false }, { actorId: null, userId: id });
      appended(eventId);
      await released;
      return eventId;
    })
    .then((eventId) => ({ eventId, at: performance.now() }));
  return { appendedId, release, committed };
}

describe('event ids become visible in commit order', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await (app as TestApp | undefined)?.stop();
  });

  it('T2 takes the next id and holds it; T1, started after, cannot take a later id and commit first: every client sees both, in order', async () => {
    const admin = await adminSession(app);
    const live = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin });
    await live.started;
    const before = Number((await sql<{ m: string | null }>(app, `select max(id) as m from domain_event`))[0]!.m ?? 0);

    // T2 appends (takes id 9, say) and keeps its transaction open.
    const t2 = heldRegistration(app);
    const nine = await t2.appendedId;
    // T1 starts after it and means to commit right away, before T2: the out-of-order commit on purpose.
    const t1 = heldRegistration(app);
    t1.release();
    let t1Appended: number | null = null;
    void t1.appendedId.then((id) => (t1Appended = id));
    await sleep(400);
    // T1 waits at its append: it has neither an id nor a commit while T2 is open, and nothing is visible yet.
    expect(t1Appended).toBeNull();
    expect(Number((await sql<{ m: string | null }>(app, `select max(id) as m from domain_event`))[0]!.m ?? 0)).toBe(before);
    // A client that resumes now (after the last id it has) is not ahead of anything still to commit.
    const resumedEarly = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin, lastEventId: before });

    t2.release();
    const [c2, c1] = await Promise.all([t2.committed, t1.committed]);
    // T1 got the later id and committed after T2.
    expect(c1.eventId).toBeGreaterThan(nine);
    expect(c2.at).toBeLessThanOrEqual(c1.at);

    // Every client sees both, in id order, once: the live one, the early resumer, and one resuming after T2's id.
    const resumedAfterNine = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin, lastEventId: nine });
    try {
      for (const client of [live, resumedEarly]) {
        await client.waitFor((events) => events.some((e) => e.id === c1.eventId));
        const mine = ids(client.events).filter((id) => id === nine || id === c1.eventId);
        expect(mine).toEqual([nine, c1.eventId]);
        expect(ids(client.events)).toEqual([...new Set(ids(client.events))].sort((a, b) => a - b));
      }
      await resumedAfterNine.waitFor((events) => events.some((e) => e.id === c1.eventId));
      expect(ids(resumedAfterNine.events).includes(nine)).toBe(false);
    } finally {
      live.close();
      resumedEarly.close();
      resumedAfterNine.close();
    }
  });
});
