import { randomBytes } from 'node:crypto';
import type { AppServices } from '../app-services.js';
import { appendEvent } from '../events/append.js';
import { queueEmail } from '../mail/outbox.js';
import { addressKey, deviceCookie, tightKey, type LoginAttempt, type LoginGuard } from '../security/lockout.js';
import { bumpRateLimit, clearRateLimit, lockLockoutRow, saveLockoutRow } from '../security/security.repository.js';
import { endLockoutEpisode } from '../users/user-lockout.service.js';
import { loadUserSnapshot } from '../users/users.repository.js';

/*
 * The outcome of a login attempt, for lockouts (the rules are in security/lockout.ts; guardLogin
 * runs before the password is checked).
 */

/** A wrong password: one more failure for the address (or device) and for the account. */
export async function recordLoginFailure(app: AppServices, guard: LoginGuard): Promise<void> {
  const { settings, userId } = guard;
  const now = app.clock.now();
  await bumpRateLimit(app.em(), tightKey(userId, guard.subject), now, new Date(now.getTime() + settings.loginFailureWindowMinutes * 60_000));
  await app.em().transactional(async (tx) => {
    const row = await lockLockoutRow(tx, userId, now);
    if (row.failures > 0 && row.lastFailureAt.getTime() <= now.getTime() - settings.loginFailureResetHours * 3_600_000) {
      Object.assign(row, { failures: 0, firstFailureAt: now, challengedSince: null, notifiedAt: null });
    }
    row.failures += 1;
    row.lastFailureAt = now;
    if (!row.challengedSince && row.failures >= settings.loginFailuresPerAccount) {
      row.challengedSince = now;
      const user = await loadUserSnapshot(tx, userId);
      if (user) {
        await appendEvent(tx, 'user.lockout_started', { user, failures: row.failures }, { actorId: null, userId });
        if (!row.notifiedAt && user.status === 'active') {
          row.notifiedAt = now;
          await queueEmail(
            tx,
            'account-locked',
            user.email,
            { firstName: user.firstName, failures: row.failures, resetUrl: `${app.publicUrl()}/forgot-password`, loginUrl: `${app.publicUrl()}/login` },
            { userId },
          );
        }
      }
    }
    await saveLockoutRow(tx, row);
  });
}

/** The right password: the address's (or device's) count is cleared, the episode ends, and this browser becomes a known device. */
export async function recordLoginSuccess(app: AppServices, guard: LoginGuard, attempt: LoginAttempt): Promise<void> {
  const { userId } = guard;
  await clearRateLimit(app.em(), tightKey(userId, guard.subject));
  if (guard.subject.startsWith('device:')) await clearRateLimit(app.em(), tightKey(userId, `ip:${addressKey(attempt.ip)}`));
  await endLockoutEpisode(app, userId, 'login', null);
  attempt.setCookie(await deviceCookie(app, userId, guard.deviceId ?? randomBytes(16).toString('base64url')));
}
