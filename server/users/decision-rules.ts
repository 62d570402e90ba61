import type { AppServices } from '../app-services.js';
import type { UserSnapshot } from '../../shared/events.js';
import type { UserStatus } from '../../shared/constants.js';
import { AppError } from '../errors.js';

// What an admin decision on a user may do and what it writes, shared by the single actions
// (users.service.ts, one user per transaction) and bulk decisions (bulk.service.ts, many users in
// one transaction), so both refuse in the same words and send the same emails and events.

export const ACTION_LABELS = {
  activate: 'activated',
  reject: 'rejected',
  deactivate: 'deactivated',
  delete: 'deleted',
  reconsider: 'reconsidered',
} as const;
export type Action = keyof typeof ACTION_LABELS;

export const ALLOWED_FROM: Record<Action, readonly UserStatus[]> = {
  activate: ['pending', 'inactive'],
  reject: ['pending'],
  deactivate: ['active'],
  delete: ['pending', 'active', 'rejected', 'inactive', 'invited', 'unverified'],
  reconsider: ['rejected'],
};

/**
 * Why the action cannot be applied to the user as it is now (read under its row lock), or null
 * when it can: gone (NOT_FOUND), changed since the admin saw it (USER_CHANGED: another admin acted
 * first), or in a status the action does not apply to (INVALID_TRANSITION). `current` is the
 * user's snapshot for the conflict's details, read only when needed.
 */
export async function refusalFor(
  action: Action,
  locked: { status: UserStatus; version: number } | null,
  expectedVersion: number,
  current: () => Promise<UserSnapshot | null> | UserSnapshot | null,
): Promise<AppError | null> {
  if (!locked) return new AppError('NOT_FOUND', 'NOT_FOUND', 'This user no longer exists');
  if (locked.version !== expectedVersion) {
    return new AppError('CONFLICT', 'USER_CHANGED', 'This user was changed by someone else in the meantime. Review the current state and try again.', {
      details: { user: await current() },
    });
  }
  if (!ALLOWED_FROM[action].includes(locked.status)) {
    return new AppError('CONFLICT', 'INVALID_TRANSITION', `A user who is ${locked.status} cannot be ${ACTION_LABELS[action]}.`, {
      details: { user: await current() },
    });
  }
  return null;
}

const loginUrl = (app: AppServices) => `${app.publicUrl()}/login`;

/** What activating a user writes besides the status: the "account activated" email and user.activated. */
export function activationEffects(app: AppServices, user: UserSnapshot, previousStatus: UserStatus) {
  return {
    email: { template: 'account-activated' as const, to: user.email, variables: { firstName: user.firstName, loginUrl: loginUrl(app) }, userId: user.id },
    event: { type: 'user.activated' as const, data: { user, previousStatus }, userId: user.id },
  };
}

/** What rejecting a registration writes: the "registration declined" email (with the reason) and user.rejected. */
export function rejectionEffects(user: UserSnapshot, reason: string | null) {
  return {
    email: { template: 'registration-rejected' as const, to: user.email, variables: { firstName: user.firstName, reason }, userId: user.id },
    event: { type: 'user.rejected' as const, data: { user, reason }, userId: user.id },
  };
}

/** A rejection reason as stored and sent: trimmed, and null when empty. */
export const rejectionReason = (reason: string | null | undefined): string | null => (reason?.trim() ? reason.trim() : null);
