import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import { AppError } from '../errors.js';
import { appendEvent } from '../events/append.js';
import { deleteSessionOfUser, revokeSessionsOfUser } from '../sessions/sessions.repository.js';
import { loadUserSnapshot } from './users.repository.js';

// Ending sessions before they expire: a user their own (auth.sessions.*), an admin a user's
// (admin.users.sessions.*). Ending a session deletes its row; every call and WebSocket message
// re-validates, so it stops at once. Each is recorded as `session.ended` (the user's story and
// the audit log), in the same transaction; signing out is not.

/** Ends one of the user's sessions; NOT_FOUND when it is not theirs (or already gone), so ids of others' sessions tell nothing. */
export async function endSessionOfUser(app: AppServices, actorId: string, userId: string, sessionId: string): Promise<void> {
  const ended = await app.em().transactional(async (tx) => {
    if (!(await deleteSessionOfUser(tx, userId, sessionId))) return false;
    await recordEnded(tx, actorId, userId, 1);
    return true;
  });
  if (!ended) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This session has already ended');
}

/** Ends every session of the user except `keepSessionId` (null: all); one `session.ended` when any ended. Returns how many ended. */
export function endSessionsOfUser(app: AppServices, actorId: string, userId: string, keepSessionId: string | null): Promise<number> {
  return app.em().transactional(async (tx) => {
    const n = await revokeSessionsOfUser(tx, userId, keepSessionId);
    if (n > 0) await recordEnded(tx, actorId, userId, n);
    return n;
  });
}

async function recordEnded(tx: EntityManager, actorId: string, userId: string, sessions: number): Promise<void> {
  const user = await loadUserSnapshot(tx, userId);
  if (!user) return; // deleted meanwhile: its sessions went with it
  await appendEvent(tx, 'session.ended', { user, sessions, by: actorId === userId ? 'self' : 'admin' }, { actorId, userId });
}
