import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, type TestApp } from '../../support/app.js';
import { adminSession, uniqueEmail } from '../../support/users.js';
import { httpClient } from '../../support/http.js';
import { registerFixture, subscribeLive } from './live-support.js';
import { setRequireEmailVerification } from '../../support/verify.js';

describe('live events across server processes', () => {
  // Two servers on different ports sharing nothing but the database, as two processes would.
  let one: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    one = await startTestApp();
    two = await startTestApp({ db: one.db });
    await setRequireEmailVerification(one, false); // not what this file tests
  });
  afterAll(async () => {
    await (two as TestApp | undefined)?.stop();
    await (one as TestApp | undefined)?.stop();
  });

  it('each process holds its own LISTEN connection', async () => {
    const rows = await sql(
      one,
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'admit-events-listener'`,
    );
    expect(rows[0].n).toBe(2);
    expect(one.port).not.toBe(two.port);
  });

  it('a sign-up on one process appears live on an admin connected to the other, and a decision there comes back', async () => {
    const adminOnTwo = await adminSession(two);
    const adminOnOne = await adminSession(one);
    const watchTwo = subscribeLive(two.url, { sessionId: adminOnTwo.sessionId, origin: two.origin });
    const watchOne = subscribeLive(one.url, { sessionId: adminOnOne.sessionId, origin: one.origin });
    try {
      await Promise.all([watchTwo.started, watchOne.started]);
      const email = uniqueEmail('multi');
      // The real sign-up, through HTTP on process one.
      await httpClient(one.url, { origin: one.origin }).auth.signup.mutate({
        firstName: 'Ada',
        lastName: 'Lovelace',
        email,
        password: 'correct horse battery',
        confirmPassword: 'correct horse battery',
      });
      await watchTwo.waitFor((e) => e.some((x) => x.type === 'user.registered' && (x.data as any).user.email === email));
      const registered = watchTwo.events.find((x) => x.type === 'user.registered')!;
      expect(registered.data).toMatchObject({ user: { email, firstName: 'Ada', status: 'pending' } });

      // An admin on process two decides; the admin on process one sees it.
      const user = (registered.data as any).user;
      await httpClient(two.url, { sessionId: adminOnTwo.sessionId, origin: two.origin }).admin.users.activate.mutate({
        userId: user.id,
        expectedVersion: user.version,
      });
      await watchOne.waitFor((e) => e.some((x) => x.type === 'user.activated' && x.userId === user.id));
      const activated = watchOne.events.find((x) => x.type === 'user.activated')!;
      expect(activated).toMatchObject({ actorId: adminOnTwo.id, actorName: 'Test User', data: { previousStatus: 'pending', user: { status: 'active' } } });
    } finally {
      watchTwo.close();
      watchOne.close();
    }
  });

  it('both processes deliver the same events in the same order', async () => {
    const a = await adminSession(one);
    const b = await adminSession(two);
    const onOne = subscribeLive(one.url, { sessionId: a.sessionId, origin: one.origin });
    const onTwo = subscribeLive(two.url, { sessionId: b.sessionId, origin: two.origin });
    try {
      await Promise.all([onOne.started, onTwo.started]);
      const committed = await Promise.all(Array.from({ length: 40 }, (_, i) => registerFixture(i % 2 ? one : two).then((r) => r.eventId)));
      committed.sort((x, y) => x - y);
      await onOne.waitFor((e) => e.length >= 40);
      await onTwo.waitFor((e) => e.length >= 40);
      expect(onOne.events.map((e) => e.id)).toEqual(committed);
      expect(onTwo.events.map((e) => e.id)).toEqual(committed);
    } finally {
      onOne.close();
      onTwo.close();
    }
  });
});
