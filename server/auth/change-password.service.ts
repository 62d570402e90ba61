import type { AppServices } from '../app-services.js';
import type { ChangePasswordInput } from '../../shared/schemas/change-password.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { queueEmail } from '../mail/outbox.js';
import { hashPassword, normalizePassword, verifyPassword } from '../security/password.js';
import { checkNewPassword } from '../settings/session-settings.service.js';
import { markPasswordChecked, revokeSessionsOfUser } from '../sessions/sessions.repository.js';
import { loadUserSnapshot, lockUser, passwordHashOf, setPassword } from '../users/users.repository.js';

/**
 * A logged-in user replaces their password (voluntarily, or because an admin required it).
 * The current password must be right and the new one different; on success the
 * "must change password" flag clears, every OTHER session of the user ends (this one stays),
 * `user.password_changed` is appended and the "password changed" email is queued, all in one
 * transaction.
 */
export async function changePassword(
  app: AppServices,
  auth: { userId: string; sessionId: string },
  input: Pick<ChangePasswordInput, 'currentPassword' | 'newPassword'>,
): Promise<{ otherSessionsRevoked: number }> {
  const oldHash = await passwordHashOf(app.em(), auth.userId);
  if (!(await verifyPassword(oldHash, input.currentPassword))) {
    throw new AppError('BAD_REQUEST', 'INVALID_CREDENTIALS', 'Your current password is incorrect', {
      fieldErrors: { currentPassword: 'Your current password is incorrect' },
    });
  }
  // The current password is verified, so "equal to the current one" is a plain comparison.
  if (normalizePassword(input.newPassword) === normalizePassword(input.currentPassword)) {
    throw new AppError('BAD_REQUEST', 'SAME_PASSWORD', 'The new password must be different from the current one', {
      fieldErrors: { newPassword: 'The new password must be different from the current one' },
    });
  }
  await checkNewPassword(app.em(), input.newPassword, 'newPassword');
  const newHash = await hashPassword(input.newPassword);

  return app.em().transactional(async (tx) => {
    // Re-read under a row lock and compare with the hash the current password was checked against:
    // a concurrent change (another tab, a reset) makes this one fail instead of silently overwriting it.
    const row = await lockUser(tx, auth.userId);
    if (!row || row.passwordHash !== oldHash || row.status !== 'active') {
      throw new AppError('CONFLICT', 'USER_CHANGED', 'Your account changed in the meantime. Please log in again.');
    }
    await setPassword(tx, auth.userId, newHash, app.clock.now());
    const revoked = await revokeSessionsOfUser(tx, auth.userId, auth.sessionId);
    // The current password was just proved: this session counts as re-authenticated (recentAuthAdminProcedure).
    await markPasswordChecked(tx, auth.sessionId, app.clock.now());
    const base = app.publicUrl();
    await queueEmail(
      tx,
      'password-changed',
      row.email,
      { firstName: row.firstName, loginUrl: `${base}/login`, resetUrl: `${base}/forgot-password` },
      { userId: auth.userId },
    );
    const user = (await loadUserSnapshot(tx, auth.userId))!;
    await appendEvent(
      tx,
      'user.password_changed',
      { user, via: row.mustChangePassword ? 'forced_change' : 'change' },
      {
        actorId: auth.userId,
        userId: auth.userId,
      },
    );
    return { otherSessionsRevoked: revoked };
  });
}
