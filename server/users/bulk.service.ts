import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { BulkDecideItem, BulkDecideOutput } from '../../shared/schemas/bulk.js';
import type { UserSnapshot } from '../../shared/events.js';
import { AppError } from '../errors.js';
import { activateUser, rejectUser } from './users.service.js';
import { lastActorOf } from './users.repository.js';

const DECIDED_BY_EVENT = { active: 'user.activated', rejected: 'user.rejected', inactive: 'user.deactivated' } as const;
const DONE_WORD = { active: 'activated', rejected: 'rejected', inactive: 'deactivated' } as const;

/** "Already activated by another admin (Jane Doe)." — who made the decision that got there first, from its event. */
async function alreadyDecidedMessage(app: AppServices, actor: SessionUser, current: UserSnapshot): Promise<string> {
  const status = current.status;
  if (status !== 'active' && status !== 'rejected' && status !== 'inactive') {
    return 'Changed by someone else in the meantime; review it and try again.';
  }
  const r = await lastActorOf(app.em(), current.id, DECIDED_BY_EVENT[status]);
  if (!r || !r.actorId) return `Already ${DONE_WORD[status]}.`;
  const who = r.actorId === actor.id ? 'you' : r.actorName ? `another admin (${r.actorName})` : 'another admin';
  return `Already ${DONE_WORD[status]} by ${who}.`;
}

/**
 * Activates or rejects each selected user in its own transaction (through the same service
 * functions as the single actions, so emails, events and version checks are identical): one
 * conflict does not roll back the others. Every success appends its event, so every admin's list
 * updates live. The result says, per user, whether it was decided and, if not, why.
 */
export async function bulkDecide(
  app: AppServices,
  actor: SessionUser,
  decision: 'activate' | 'reject',
  users: { userId: string; expectedVersion: number }[],
  reason: string | null,
): Promise<BulkDecideOutput> {
  const results: BulkDecideItem[] = [];
  for (const { userId, expectedVersion } of users) {
    try {
      const user =
        decision === 'activate' ? await activateUser(app, actor, userId, expectedVersion) : await rejectUser(app, actor, userId, expectedVersion, reason);
      results.push({ userId, ok: true, message: null, user });
    } catch (e) {
      if (!(e instanceof AppError)) {
        app.log.error('bulk decision failed for one user', { userId, error: e as Error });
        results.push({ userId, ok: false, message: 'Could not be decided because of an error on our side; please try again.', user: null });
        continue;
      }
      if (e.reason === 'NOT_FOUND') {
        results.push({ userId, ok: false, message: 'No longer exists (it was deleted).', user: null });
        continue;
      }
      const current = (e.details?.user as UserSnapshot | null | undefined) ?? null;
      const message =
        current && (e.reason === 'USER_CHANGED' || e.reason === 'INVALID_TRANSITION') ? await alreadyDecidedMessage(app, actor, current) : e.message;
      results.push({ userId, ok: false, message, user: current });
    }
  }
  const succeeded = results.filter((r) => r.ok).length;
  return { results, succeeded, failed: results.length - succeeded };
}
