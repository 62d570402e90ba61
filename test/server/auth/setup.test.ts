import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { startTestApp, sessionIdFrom, sqlCount, type TestApp } from '../../support/app.js';

const input = (email: string) => ({
  firstName: 'Ada',
  lastName: 'Admin',
  email,
  password: 'a long enough password',
  confirmPassword: 'a long enough password',
});

describe('first-run setup', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('is needed while no admin exists', async () => {
    expect((await app.caller().auth.me()).needsSetup).toBe(true);
  });

  it('rejects a password confirmation that does not match, with a field message', async () => {
    const err = await app
      .caller()
      .auth.setup({ ...input('x@example.test'), confirmPassword: 'different one' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect(err.code).toBe('BAD_REQUEST');
    expect((await app.caller().auth.me()).needsSetup).toBe(true);
  });

  it('creates the first admin once, logs them in, and refuses ever after', async () => {
    const caller = app.caller();
    await caller.auth.setup(input('first.admin@example.test'));
    const sessionId = sessionIdFrom(caller.cookies);
    expect(sessionId).toBeTruthy();
    const me = await app.caller({ sessionId }).auth.me();
    expect(me.user).toMatchObject({ email: 'first.admin@example.test', role: 'admin', status: 'active' });
    expect(me.needsSetup).toBe(false);

    const again = await app
      .caller()
      .auth.setup(input('second.admin@example.test'))
      .catch((e) => e);
    expect(again.code).toBe('FORBIDDEN');
    const n = await sqlCount(app, `select count(*)::int as n from app_user where role = 'admin'`);
    expect(n).toBe(1);
  });
});

describe('first-run setup under a race', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('lets exactly one of ten concurrent setups win', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => app.caller().auth.setup(input(`racer${i}@example.test`))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as TRPCError).code).toBe('FORBIDDEN');
    const n = await sqlCount(app, `select count(*)::int as n from app_user`);
    expect(n).toBe(1);
  });
});

describe('headless setup from ADMIN_EMAIL and ADMIN_PASSWORD', () => {
  it('creates the admin at start, and a second start changes nothing', async () => {
    const env = { ADMIN_EMAIL: 'ops@example.test', ADMIN_PASSWORD: 'headless install pw' };
    const app = await startTestApp({ env });
    try {
      const me = await app.caller().auth.me();
      expect(me.needsSetup).toBe(false);
      const caller = app.caller();
      await caller.auth.login({ email: 'ops@example.test', password: 'headless install pw' });
      expect(sessionIdFrom(caller.cookies)).toBeTruthy();
      const again = await startTestApp({ env, db: app.db });
      await again.close();
      const n = await sqlCount(app, `select count(*)::int as n from app_user`);
      expect(n).toBe(1);
    } finally {
      await app.stop();
    }
  });
});
