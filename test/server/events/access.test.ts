import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, developerSession } from '../../support/users.js';
import { httpClient } from '../../support/http.js';
import { SESSION_COOKIE } from '../../../shared/constants.js';
import { registerFixture, subscribeLive } from './live-support.js';

// The session is re-checked every few seconds even when no event flows; "within seconds" = well under this.
const ENDS_WITHIN_MS = 6_000;

describe('admin.events.onUserEvent: who may listen', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  async function liveAdmin() {
    const admin = await adminSession(app);
    const live = subscribeLive(app.url, { sessionId: admin.sessionId, origin: app.origin });
    await live.started;
    // It is really streaming before access is taken away.
    const reg = await registerFixture(app);
    await live.waitFor((e) => e.some((x) => x.id === reg.eventId));
    return { admin, live };
  }

  it('ends the stream of an admin who is deactivated, within seconds and with no event in between', async () => {
    const { admin, live } = await liveAdmin();
    try {
      const t0 = Date.now();
      await app.services.em().execute(`update app_user set status = 'inactive' where id = ?`, [admin.id]);
      await live.waitForEnd(ENDS_WITHIN_MS);
      expect(Date.now() - t0).toBeLessThan(ENDS_WITHIN_MS);
      expect(live.error()?.data?.code).toBe('FORBIDDEN');
      expect(live.events).toHaveLength(1);
    } finally {
      live.close();
    }
  });

  it('does not deliver an event committed after the admin was deactivated (checked on delivery)', async () => {
    const { admin, live } = await liveAdmin();
    try {
      await app.services.em().execute(`update app_user set status = 'inactive' where id = ?`, [admin.id]);
      const after = await registerFixture(app);
      await live.waitForEnd(ENDS_WITHIN_MS);
      expect(live.events.map((e) => e.id)).not.toContain(after.eventId);
      expect(live.error()?.data?.code).toBe('FORBIDDEN');
    } finally {
      live.close();
    }
  });

  it('ends the stream of an admin who logs out', async () => {
    const { admin, live } = await liveAdmin();
    try {
      const t0 = Date.now();
      await httpClient(app.url, { sessionId: admin.sessionId, origin: app.origin }).auth.logout.mutate();
      await live.waitForEnd(ENDS_WITHIN_MS);
      expect(Date.now() - t0).toBeLessThan(ENDS_WITHIN_MS);
      expect(live.error()?.data?.code).toBe('FORBIDDEN');
    } finally {
      live.close();
    }
  });

  it('ends the stream of an admin who is demoted to developer', async () => {
    const { admin, live } = await liveAdmin();
    try {
      await app.services.em().execute(`update app_user set role = 'developer' where id = ?`, [admin.id]);
      await live.waitForEnd(ENDS_WITHIN_MS);
      expect(live.error()?.data?.code).toBe('FORBIDDEN');
    } finally {
      live.close();
    }
  });

  it('keeps streaming to an admin whose session stays valid', async () => {
    const { live } = await liveAdmin();
    try {
      await new Promise((r) => setTimeout(r, 3_500)); // past one timer check
      const reg = await registerFixture(app);
      await live.waitFor((e) => e.some((x) => x.id === reg.eventId));
      expect(live.error()).toBeNull();
      expect(live.completed()).toBe(false);
    } finally {
      live.close();
    }
  });

  it('refuses a developer', async () => {
    const dev = await developerSession(app);
    const live = subscribeLive(app.url, { sessionId: dev.sessionId, origin: app.origin });
    try {
      await live.waitForEnd();
      expect(live.error()?.data?.code).toBe('FORBIDDEN');
      await registerFixture(app);
      expect(live.events).toHaveLength(0);
    } finally {
      live.close();
    }
  });

  it('refuses an anonymous socket', async () => {
    const live = subscribeLive(app.url, { sessionId: null, origin: app.origin });
    try {
      await live.waitForEnd();
      expect(live.error()?.data?.code).toBe('FORBIDDEN');
    } finally {
      live.close();
    }
  });

  it('refuses the WebSocket upgrade from a foreign Origin (403), even with an admin cookie', async () => {
    const admin = await adminSession(app);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(app.url.replace(/^http/, 'ws') + '/trpc', {
        headers: { origin: 'https://evil.example', cookie: `${SESSION_COOKIE}=${admin.sessionId}` },
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('the upgrade was accepted')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(403);
  });
});
