import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { LockoutStateOutput } from '../../shared/schemas/security.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { lockoutState } from '../security/lockout.js';
import { clearRateLimitsLike, deleteLockout } from '../security/security.repository.js';
import { loadUserSnapshot } from './users.repository.js';

/**
 * Ends an account's failed-login episode (security/lockout.ts): on a successful login, or when an
 * admin presses Reset. `user.lockout_reset` records it when the account was challenged (or an admin acted).
 */
export async function endLockoutEpisode(app: AppServices, userId: string, by: 'login' | 'admin', actorId: string | null): Promise<void> {
  await app.em().transactional(async (tx) => {
    const row = await deleteLockout(tx, userId);
    if (!row?.challengedSince && by === 'login') return;
    const user = await loadUserSnapshot(tx, userId);
    if (user && row) await appendEvent(tx, 'user.lockout_reset', { user, failures: row.failures, by }, { actorId, userId });
  });
}

/** Admin › user page › Reset: forgets every failure of the account (addresses included) and ends its episode. */
export async function resetLockout(app: AppServices, actor: SessionUser, userId: string): Promise<LockoutStateOutput> {
  if (!(await loadUserSnapshot(app.em(), userId))) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'User not found');
  await clearRateLimitsLike(app.em(), `loginFail:${userId}:`);
  await endLockoutEpisode(app, userId, 'admin', actor.id);
  return lockoutState(app, userId);
}

export function getLockout(app: AppServices, userId: string): Promise<LockoutStateOutput> {
  return lockoutState(app, userId);
}
