import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { insertUser, uniqueEmail } from '../../support/users.js';
import { RESET_REQUEST_MIN_MS } from '../../../server/auth/password-reset.service.js';

// A lower bound, not a speed target: load can only make a request slower, never faster.
describe('password reset request timing', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { MAIL_WORKER: 'false' } });
  });
  afterAll(() => app.stop());

  it('never answers sooner than the floor, for an unknown address or a real account', async () => {
    const real = await insertUser(app);
    for (const email of [uniqueEmail('nobody'), real.email]) {
      const t0 = performance.now();
      await app.caller().auth.passwordReset.request({ email });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(RESET_REQUEST_MIN_MS - 1);
    }
  });
});
