import type { AppServices } from '../app-services.js';
import type { SessionInfo } from '../../shared/schemas/sessions.js';
import { sessionsOfUser, type SessionRow } from './sessions.repository.js';
import { summariseUserAgent } from './user-agent.js';

// Listing sessions: a user their own (auth.sessions.*), an admin a user's (admin.users.sessions.*).
// Ending them: users/user-sessions.service.ts (recorded as events).

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

/** The user's live sessions; `currentSessionId` is marked as "this device". */
export async function listSessions(app: AppServices, userId: string, currentSessionId: string | null): Promise<SessionInfo[]> {
  return (await sessionsOfUser(app.em(), userId, app.clock.now())).map((s) => toInfo(s, currentSessionId));
}
