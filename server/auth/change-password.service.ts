import type { AppServices } from '../app-services.js';
import type { ChangePasswordInput } from '../../shared/schemas/change-password.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { queueEmail } from '../mail/outbox.js';
import { loadUserSnapshot } from '../users/users.snapshot.js';
import { hashPassword, verifyPassword } from './password.js';

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
  const rows = await app
    .em()
    .execute<{ password_hash: string | null }[]>(`select password_hash from app_user where id = ?`, [auth.userId]);
  const oldHash = rows[0]?.password_hash ?? null;
  if (!(await verifyPassword(oldHash, input.currentPassword))) {
    throw new AppError('BAD_REQUEST', 'INVALID_CREDENTIALS', 'Your current password is incorrect', {
      fieldErrors: { currentPassword: 'Your current password is incorrect' },
    });
  }
  // The current password is verified, so "equal to the current one" is a plain comparison.
  if (input.newPassword === input.currentPassword) {
    throw new AppError('BAD_REQUEST', 'SAME_PASSWORD', 'The new password must be different from the current one', {
      fieldErrors: { newPassword: 'The new password must be different from the current one' },
    });
  }
  const newHash = await hashPassword(input.newPassword);

  return app.em().transactional(async (tx) => {
    // Re-read under a row lock and compare with the hash the current password was checked against:
    // a concurrent change (another tab, a reset) makes this one fail instead of silently overwriting it.
    const locked = await tx.execute<{ password_hash: string | null; must_change_password: boolean; first_name: string; email: string; status: string }[]>(
      `select password_hash, must_change_password, first_name, email, status from app_user where id = ? for update`,
      [auth.userId],
    );
    const row = locked[0];
    if (!row || row.password_hash !== oldHash || row.status !== 'active') {
      throw new AppError('CONFLICT', 'USER_CHANGED', 'Your account changed in the meantime. Please log in again.');
    }
    await tx.execute(
      `update app_user set password_hash = ?, must_change_password = false, updated_at = ?, version = version + 1 where id = ?`,
      [newHash, app.clock.now(), auth.userId],
    );
    const revoked = await tx.execute<{ id: string }[]>(`delete from user_session where user_id = ? and id <> ? returning id`, [
      auth.userId,
      auth.sessionId,
    ]);
    const base = app.publicUrl();
    await queueEmail(
      tx,
      'password-changed',
      row.email,
      { firstName: row.first_name, loginUrl: `${base}/login`, resetUrl: `${base}/forgot-password` },
      { userId: auth.userId },
    );
    const user = (await loadUserSnapshot(tx, auth.userId))!;
    await appendEvent(tx, 'user.password_changed', { user, via: row.must_change_password ? 'forced_change' : 'change' }, {
      actorId: auth.userId,
      userId: auth.userId,
    });
    return { otherSessionsRevoked: revoked.length };
  });
}
