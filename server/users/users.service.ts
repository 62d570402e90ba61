import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { UserSnapshot } from '../../shared/events.js';
import type { UserStatus } from '../../shared/constants.js';
import { AppError } from '../errors.js';
import { lockForTransaction } from '../db/locks.js';
import { appendEvent } from '../events/append.js';
import { queueEmail } from '../mail/outbox.js';
import { revokeSessionsOfUser } from '../sessions/sessions.repository.js';
import type { UserDetail } from '../../shared/schemas/users.js';
import {
  countOtherActiveAdmins,
  deleteUserRow,
  getUserDetail,
  loadUserSnapshot,
  lockUser,
  setStatus as writeStatus,
  type LockedUser,
} from './users.repository.js';
import { transactionalWithRetry } from '../db/faults.js';
import { activationEffects, refusalFor, rejectionEffects, rejectionReason, type Action } from './decision-rules.js';

const loginUrl = (app: AppServices) => `${app.publicUrl()}/login`;

// ---------------------------------------------------------------------------------------------
// Admin decisions. Each takes the version the admin saw: the row is locked, and when its version
// moved on (another admin acted first) the call fails with USER_CHANGED and the current state, so
// of two admins racing on one user exactly one wins. Usable one by one for bulk decisions.

/** Locks the user row and checks it is still what the admin saw and that the action fits its status. */
async function lockForAction(tx: EntityManager, action: Action, userId: string, expectedVersion: number): Promise<LockedUser> {
  const locked = await lockUser(tx, userId);
  const refusal = await refusalFor(action, locked, expectedVersion, () => loadUserSnapshot(tx, userId));
  if (refusal) throw refusal;
  return locked!;
}

/**
 * Refuses to remove the last active admin. Call in the transaction, with the target row locked;
 * the advisory lock makes two admins removing each other at once take turns.
 */
export async function assertAnotherActiveAdmin(tx: EntityManager, target: { id: string; role: string; status: string }): Promise<void> {
  if (target.role !== 'admin' || target.status !== 'active') return;
  await lockForTransaction(tx, 'adminGuard');
  if ((await countOtherActiveAdmins(tx, target.id)) === 0) {
    throw new AppError('CONFLICT', 'LAST_ADMIN', 'This is the last active administrator; activate or add another administrator first.');
  }
}

function refuseSelf(actor: SessionUser, userId: string, what: string): void {
  if (actor.id === userId) throw new AppError('CONFLICT', 'SELF_ACTION', `You cannot ${what} your own account.`);
}

async function setStatus(tx: EntityManager, userId: string, status: UserStatus, rejectionReason: string | null): Promise<UserSnapshot> {
  await writeStatus(tx, userId, status, rejectionReason);
  return (await loadUserSnapshot(tx, userId))!;
}

/** Activate developer: pending → active (approval) or inactive → active. Emails the user. */
export async function activateUser(app: AppServices, actor: SessionUser, userId: string, expectedVersion: number): Promise<UserSnapshot> {
  return transactionalWithRetry(app, async (tx) => {
    const before = await lockForAction(tx, 'activate', userId, expectedVersion);
    const user = await setStatus(tx, userId, 'active', null);
    const { email, event } = activationEffects(app, user, before.status);
    await queueEmail(tx, email.template, email.to, email.variables, { userId });
    await appendEvent(tx, event.type, event.data, { actorId: actor.id, userId });
    return user;
  });
}

/** Reject a pending registration, with an optional reason the user is told (by email and at login). */
export async function rejectUser(
  app: AppServices,
  actor: SessionUser,
  userId: string,
  expectedVersion: number,
  reason: string | null = null,
): Promise<UserSnapshot> {
  const why = rejectionReason(reason);
  return transactionalWithRetry(app, async (tx) => {
    await lockForAction(tx, 'reject', userId, expectedVersion);
    const user = await setStatus(tx, userId, 'rejected', why);
    const { email, event } = rejectionEffects(user, why);
    await queueEmail(tx, email.template, email.to, email.variables, { userId });
    await appendEvent(tx, event.type, event.data, { actorId: actor.id, userId });
    return user;
  });
}

/**
 * Reconsider a rejected registration: rejected → pending (back in the queue) or → active. The
 * rejection reason is cleared. With `notify` the user is emailed: "being reviewed again" for
 * pending, the usual "account activated" for active; otherwise nothing is sent.
 */
export async function reconsiderUser(
  app: AppServices,
  actor: SessionUser,
  input: { userId: string; expectedVersion: number; to: 'pending' | 'active'; notify: boolean },
): Promise<UserSnapshot> {
  const { userId, expectedVersion, to, notify } = input;
  return transactionalWithRetry(app, async (tx) => {
    const before = await lockForAction(tx, 'reconsider', userId, expectedVersion);
    const user = await setStatus(tx, userId, to, null);
    if (notify && to === 'active') {
      await queueEmail(tx, 'account-activated', user.email, { firstName: user.firstName, loginUrl: loginUrl(app) }, { userId });
    } else if (notify) {
      await queueEmail(tx, 'registration-reconsidered', user.email, { firstName: user.firstName }, { userId });
    }
    await appendEvent(tx, 'user.reconsidered', { user, previousStatus: before.status, emailed: notify }, { actorId: actor.id, userId });
    return user;
  });
}

/** Deactivate: active → inactive. Every session of the user is revoked in the same transaction. */
export async function deactivateUser(app: AppServices, actor: SessionUser, userId: string, expectedVersion: number): Promise<UserSnapshot> {
  refuseSelf(actor, userId, 'deactivate');
  return transactionalWithRetry(app, async (tx) => {
    const before = await lockForAction(tx, 'deactivate', userId, expectedVersion);
    await assertAnotherActiveAdmin(tx, before);
    const user = await setStatus(tx, userId, 'inactive', null);
    // Sessions are validated against this table on every call (HTTP and each WebSocket message),
    // so an open connection's next call is refused once this commits.
    await revokeSessionsOfUser(tx, userId);
    await appendEvent(tx, 'user.deactivated', { user }, { actorId: actor.id, userId });
    return user;
  });
}

/** Deletes the user (sessions and tokens go with it by cascade). History stays in domain_event. */
export async function deleteUser(app: AppServices, actor: SessionUser, userId: string, expectedVersion: number): Promise<UserSnapshot> {
  refuseSelf(actor, userId, 'delete');
  return transactionalWithRetry(app, async (tx) => {
    const before = await lockForAction(tx, 'delete', userId, expectedVersion);
    await assertAnotherActiveAdmin(tx, before);
    const user = (await loadUserSnapshot(tx, userId))!;
    await deleteUserRow(tx, userId);
    await appendEvent(tx, 'user.deleted', { user }, { actorId: actor.id, userId });
    return user;
  });
}

/** User detail (admin). */
export async function getUser(app: AppServices, userId: string): Promise<UserDetail> {
  const user = await getUserDetail(app.em(), userId);
  if (!user) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This user does not exist (it may have been deleted)');
  return user;
}
