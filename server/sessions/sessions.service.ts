import type { AppServices } from '../app-services.js';
import type { SessionInfo } from '../../shared/schemas/sessions.js';
import { AppError } from '../errors.js';
import { deleteSessionOfUser, revokeSessionsOfUser, sessionsOfUser, type SessionRow } from './sessions.repository.js';
import { summariseUserAgent } from './user-agent.js';

// Listing and ending sessions: a user their own (auth.sessions.*), an admin a user's (admin.users.sessions.*).
// Ending a session deletes its row; every call and WebSocket message re-validates, so it stops at once.

function toInfo(s: SessionRow, currentId: string | null): SessionInfo {
  return {
    id: s.id,
    device: summariseUserAgent(s.userAgent),
    userAgent: s.userAgent,
    ip: s.ip,
    createdAt: s.createdAt.toISOString(),
    lastSeenAt: s.lastSeenAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    current: s.id === currentId,
  };
}

function notFound(): AppError {
  return new AppError('NOT_FOUND', 'NOT_FOUND', 'This session has already ended');
}

/** The user's live sessions; `currentSessionId` is marked as "this device". */
export async function listSessions(app: AppServices, userId: string, currentSessionId: string | null): Promise<SessionInfo[]> {
  return (await sessionsOfUser(app.em(), userId, app.clock.now())).map((s) => toInfo(s, currentSessionId));
}

/** Ends one of the user's sessions; NOT_FOUND when it is not theirs (or already gone), so ids of others' sessions tell nothing. */
export async function endSessionOfUser(app: AppServices, userId: string, sessionId: string): Promise<void> {
  if (!(await deleteSessionOfUser(app.em(), userId, sessionId))) throw notFound();
}

/** Ends every session of the user except `keepSessionId` (null: all). Returns how many ended. */
export function endSessionsOfUser(app: AppServices, userId: string, keepSessionId: string | null): Promise<number> {
  return revokeSessionsOfUser(app.em(), userId, keepSessionId);
}
