import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../../../server/trpc/router.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, developerSession, insertUser, loginAs } from '../../support/users.js';
import { httpClient, wsClient } from '../../support/http.js';

// Every procedure under `admin.` — enumerated, so a new one is covered without editing this test.
const adminProcedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>)
  .filter(([path]) => path.startsWith('admin.'))
  .map(([path, p]) => ({ path, type: p._def.type }));

function call(caller: any, path: string) {
  const fn = path.split('.').reduce((o, k) => o[k], caller);
  return fn({});
}

describe('admin procedures', () => {
  let app: TestApp;
  let devSession: string;
  let adminSessionId: string;
  let inactiveAdminSession: string;
  beforeAll(async () => {
    app = await startTestApp();
    devSession = (await developerSession(app)).sessionId;
    adminSessionId = (await adminSession(app)).sessionId;
    const ex = await insertUser(app, { role: 'admin' });
    inactiveAdminSession = await loginAs(app, ex.email, ex.password!);
    await app.services.em().execute(`update app_user set status = 'inactive' where id = ?`, [ex.id]);
  });
  afterAll(() => app.stop());

  it('exist', () => {
    expect(adminProcedures.length).toBeGreaterThan(0);
  });

  it.each(adminProcedures.filter((p) => p.type !== 'subscription'))(
    '$path refuses anonymous, developer and deactivated-admin callers with FORBIDDEN',
    async ({ path }) => {
      for (const sessionId of [null, devSession, inactiveAdminSession]) {
        const err = await call(app.caller({ sessionId }), path).then(
          () => null,
          (e: any) => e,
        );
        expect(err, `${path} answered for session ${sessionId}`).not.toBeNull();
        expect(err.code).toBe('FORBIDDEN');
      }
    },
  );

  it.each(adminProcedures.filter((p) => p.type !== 'subscription'))('$path is not refused for an admin (at worst the input is wrong)', async ({ path }) => {
    const err = await call(app.caller({ sessionId: adminSessionId }), path).then(
      () => null,
      (e: any) => e,
    );
    if (err) expect(err.code).not.toBe('FORBIDDEN');
  });

  it.each(adminProcedures.filter((p) => p.type === 'subscription'))('$path refuses a developer over a real WebSocket', async ({ path }) => {
    const ws = wsClient(app.url, { sessionId: devSession, origin: app.origin });
    try {
      const err = await new Promise<any>((resolve) => {
        const fn = path.split('.').reduce((o: any, k) => o[k], ws.trpc);
        const sub = fn.subscribe({}, { onData: () => resolve(null), onError: (e: any) => resolve(e) });
        setTimeout(() => {
          sub.unsubscribe();
          resolve(new Error('timeout'));
        }, 5000);
      });
      expect(err?.data?.code).toBe('FORBIDDEN');
    } finally {
      await ws.close();
    }
  });

  it('also refuse over HTTP', async () => {
    const q = adminProcedures.find((p) => p.type === 'query')!;
    const client = httpClient(app.url, { sessionId: devSession, origin: app.origin }) as any;
    const err = await q.path
      .split('.')
      .reduce((o: any, k) => o[k], client)
      .query({})
      .catch((e: any) => e);
    expect(err.data.code).toBe('FORBIDDEN');
    expect(err.data.httpStatus).toBe(403);
  });
});
