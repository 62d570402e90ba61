import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { httpClient, wsClient } from '../../support/http.js';

describe('sessions over WebSocket', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('are checked on every message, not once per connection', async () => {
    const admin = await adminSession(app);
    const ws = wsClient(app.url, { sessionId: admin.sessionId, origin: app.origin });
    try {
      // The wsLink sends queries over the socket too.
      expect((await ws.trpc.auth.me.query()).user?.id).toBe(admin.id);
      expect((await ws.trpc.admin.users.stats.query()).total).toBeGreaterThan(0);

      await httpClient(app.url, { sessionId: admin.sessionId, origin: app.origin }).auth.logout.mutate();

      // Same socket, same cookie, next message: the session is gone.
      expect((await ws.trpc.auth.me.query()).user).toBeNull();
      const err = await ws.trpc.admin.users.stats.query().catch((e) => e);
      expect(err.data.code).toBe('FORBIDDEN');
    } finally {
      await ws.close();
    }
  });

  it('see a role change on the next message', async () => {
    const admin = await adminSession(app);
    const ws = wsClient(app.url, { sessionId: admin.sessionId, origin: app.origin });
    try {
      await ws.trpc.admin.users.stats.query();
      await app.services.em().execute(`update app_user set role = 'developer' where id = ?`, [admin.id]);
      const err = await ws.trpc.admin.users.stats.query().catch((e) => e);
      expect(err.data.code).toBe('FORBIDDEN');
    } finally {
      await ws.close();
    }
  });
});
