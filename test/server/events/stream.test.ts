import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { appendEvent } from '../../../server/events/append.js';
import { ids, registerFixture, subscribeLive, sleep } from './live-support.js';

describe('admin.events.onUserEvent: order and completeness', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
  });
  afterAll(() => app.stop());

  it('streams every event committed by concurrent transactions, once each, in id order', async () => {
    const live = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin });
    try {
      await live.started;
      // 200 registrations from 20 concurrent writers: commits interleave, ids must still arrive in order.
      const committed: number[] = [];
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          for (let i = 0; i < 10; i++) committed.push((await registerFixture(app)).eventId);
        }),
      );
      committed.sort((a, b) => a - b);
      await live.waitFor((e) => e.length >= committed.length);
      await sleep(200);
      expect(ids(live.events)).toEqual(committed);
      expect(live.events.every((e) => e.type === 'user.registered')).toBe(true);
    } finally {
      live.close();
    }
  });

  it('starts from now without lastEventId, so a fresh page only gets what happens after it loaded', async () => {
    const before = await registerFixture(app);
    const live = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin });
    try {
      await live.started;
      const after = await registerFixture(app);
      await live.waitFor((e) => e.length >= 1);
      await sleep(100);
      expect(ids(live.events)).toEqual([after.eventId]);
      expect(live.events[0]!.id).toBeGreaterThan(before.eventId);
    } finally {
      live.close();
    }
  });

  it('replays the events after lastEventId from the table, then continues live, without a gap or a repeat', async () => {
    const first = await registerFixture(app);
    const missed = [await registerFixture(app), await registerFixture(app), await registerFixture(app)];
    const live = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin, lastEventId: String(first.eventId) });
    try {
      await live.started;
      const next = await registerFixture(app);
      await live.waitFor((e) => e.some((x) => x.id === next.eventId));
      await sleep(100);
      expect(ids(live.events)).toEqual([...missed.map((m) => m.eventId), next.eventId]);
    } finally {
      live.close();
    }
  });

  it('carries the event as a DTO with the acting admin resolved to a name', async () => {
    const reg = await registerFixture(app);
    const live = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin });
    try {
      await live.started;
      await app.services.em().transactional(async (tx) => {
        await tx.execute(`update app_user set status = 'active', version = version + 1 where id = ?`, [reg.userId]);
        const { loadUserSnapshot } = await import('../../../server/users/users.repository.js');
        const user = (await loadUserSnapshot(tx, reg.userId))!;
        await appendEvent(tx, 'user.activated', { user, previousStatus: 'pending' }, { actorId: admin.id, userId: reg.userId });
      });
      await live.waitFor((e) => e.length >= 1);
      const e = live.events[0]!;
      expect(e).toMatchObject({ type: 'user.activated', actorId: admin.id, actorName: 'Test User', userId: reg.userId });
      expect(e.data).toMatchObject({ previousStatus: 'pending', user: { id: reg.userId, status: 'active', email: reg.email } });
      expect(new Date(e.createdAt).toString()).not.toBe('Invalid Date');
    } finally {
      live.close();
    }
  });

  it('streams user.*, invite.* and settings.changed but not email.* events', async () => {
    const live = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin });
    try {
      await live.started;
      const reg = await registerFixture(app);
      const [mail, settings] = await app.services
        .em()
        .transactional(async (tx) => [
          await appendEvent(tx, 'email.sent', { outboxId: 1, template: 'welcome', to: reg.email }, { actorId: null, userId: reg.userId }),
          await appendEvent(tx, 'settings.changed', { changes: { autoApprove: { from: false, to: true } } }, { actorId: admin.id }),
        ]);
      await live.waitFor((e) => e.some((x) => x.id === settings));
      expect(ids(live.events)).toEqual([reg.eventId, settings]);
      expect(ids(live.events)).not.toContain(mail);
    } finally {
      live.close();
    }
  });

  it('refuses a lastEventId that is not an event id, with a clear message', async () => {
    const live = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin, lastEventId: 'drop table' });
    try {
      await live.waitForEnd();
      expect(live.error()?.data?.code).toBe('BAD_REQUEST');
      expect(live.error()?.data?.fieldErrors?.lastEventId).toBe('must be an event id');
    } finally {
      live.close();
    }
  });

  it('keeps one LISTEN connection per process however many admins subscribe', async () => {
    const subs = Array.from({ length: 5 }, () => subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin }));
    try {
      await Promise.all(subs.map((s) => s.started));
      const rows = await sql(
        app,
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'admit-events-listener'`,
      );
      expect(rows[0].n).toBe(1);
      const reg = await registerFixture(app);
      await Promise.all(subs.map((s) => s.waitFor((e) => e.some((x) => x.id === reg.eventId))));
    } finally {
      for (const s of subs) s.close();
    }
  });
});
