import type { EntityManager } from '@mikro-orm/postgresql';
import type { UserRole, UserStatus } from '../../shared/constants.js';

// Every statement on user_session. Session handling itself is Lucia's (lucia.ts, lucia-adapter.ts).

export interface SessionRow {
  id: string;
  userId: string;
  expiresAt: Date;
}

/** The user fields a validated session carries (Lucia's DatabaseUserAttributes). */
export interface SessionUserRow {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: UserRole;
  status: UserStatus;
  mustChangePassword: boolean;
}

/** The session and its user in one read (validation on every call). */
export async function findSessionAndUser(em: EntityManager, sessionId: string): Promise<{ session: SessionRow; user: SessionUserRow } | null> {
  const rows = await em.execute<any[]>(
    `select s.id as session_id, s.expires_at, u.id, u.email, u.first_name, u.last_name, u.role, u.status, u.must_change_password
       from user_session s join app_user u on u.id = s.user_id where s.id = ?`,
    [sessionId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    session: { id: r.session_id, userId: r.id, expiresAt: new Date(r.expires_at) },
    user: {
      id: r.id,
      email: r.email,
      firstName: r.first_name,
      lastName: r.last_name,
      role: r.role,
      status: r.status,
      mustChangePassword: r.must_change_password,
    },
  };
}

export async function sessionsOfUser(em: EntityManager, userId: string): Promise<SessionRow[]> {
  const rows = await em.execute<{ id: string; user_id: string; expires_at: Date }[]>(`select id, user_id, expires_at from user_session where user_id = ?`, [userId]);
  return rows.map((r) => ({ id: r.id, userId: r.user_id, expiresAt: new Date(r.expires_at) }));
}

export async function insertSession(em: EntityManager, s: SessionRow): Promise<void> {
  await em.execute(`insert into user_session (id, user_id, expires_at, created_at) values (?, ?, ?, now())`, [s.id, s.userId, s.expiresAt]);
}

export async function updateSessionExpiry(em: EntityManager, sessionId: string, expiresAt: Date): Promise<void> {
  await em.execute(`update user_session set expires_at = ? where id = ?`, [expiresAt, sessionId]);
}

export async function deleteSession(em: EntityManager, sessionId: string): Promise<void> {
  await em.execute(`delete from user_session where id = ?`, [sessionId]);
}

/**
 * Ends every session of the user (all but `keepSessionId` when given), in the caller's transaction
 * when there is one: sessions are validated on every call, so the next call on any of them fails.
 * Returns how many ended.
 */
export async function revokeSessionsOfUser(em: EntityManager, userId: string, keepSessionId: string | null = null): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(`delete from user_session where user_id = ? and id is distinct from ? returning id`, [userId, keepSessionId]);
  return rows.length;
}

export async function deleteExpiredSessions(em: EntityManager): Promise<void> {
  await em.execute(`delete from user_session where expires_at <= now()`);
}

/**
 * What lucia.validateSession + adminProcedure require of a session, as SQL over user_session `s`
 * joined to app_user `u`: not expired, an active admin who need not change their password first.
 */
export const ACTIVE_ADMIN_SESSION_SQL = `s.expires_at > now() and u.role = 'admin' and u.status = 'active' and not u.must_change_password`;

/** The ids in $n (a text[] parameter) that are still valid admin sessions (for the listener's combined query). */
export const validAdminSessionIdsSql = (param: string) =>
  `select s.id from user_session s join app_user u on u.id = s.user_id where s.id = any(${param}::text[]) and ${ACTIVE_ADMIN_SESSION_SQL}`;

/** Which of these sessions are still valid admin sessions. */
export async function validAdminSessions(em: EntityManager, ids: readonly string[]): Promise<Set<string>> {
  const valid = new Set<string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const rows = await em.execute<{ id: string }[]>(
      `select s.id from user_session s join app_user u on u.id = s.user_id
        where s.id in (${chunk.map(() => '?').join(',')}) and ${ACTIVE_ADMIN_SESSION_SQL}`,
      [...chunk],
    );
    for (const r of rows) valid.add(r.id);
  }
  return valid;
}
