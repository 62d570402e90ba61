import type { EntityManager } from '@mikro-orm/postgresql';
import type { UserRole, UserStatus } from '../../shared/constants.js';

// Every statement on user_session. The session rules themselves are in session-store.ts.
// `id` is the SHA-256 (hex) of the token in the cookie; the token itself is never stored.

export interface SessionRow {
  id: string;
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  /** When the session ends unless used again: min(last seen + idle timeout, absoluteExpiresAt). */
  expiresAt: Date;
  /** When the session ends however busy it is (created + absolute lifetime). */
  absoluteExpiresAt: Date;
  ip: string;
  userAgent: string;
  /** When this session last proved the password (login, re-authentication); null for one started by an emailed link. */
  passwordCheckedAt: Date | null;
}

/** The user fields a validated session carries. */
export interface SessionUserRow {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: UserRole;
  status: UserStatus;
  mustChangePassword: boolean;
}

const SESSION_COLUMNS = `s.id as session_id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.absolute_expires_at, s.ip, s.user_agent, s.password_checked_at`;

/** A row selected with SESSION_COLUMNS. */
interface SessionDbRow {
  session_id: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  absolute_expires_at: Date;
  ip: string;
  user_agent: string;
  password_checked_at: Date | null;
}

function toSession(r: SessionDbRow): SessionRow {
  return {
    id: r.session_id,
    userId: r.user_id,
    createdAt: new Date(r.created_at),
    lastSeenAt: new Date(r.last_seen_at),
    expiresAt: new Date(r.expires_at),
    absoluteExpiresAt: new Date(r.absolute_expires_at),
    ip: r.ip,
    userAgent: r.user_agent,
    passwordCheckedAt: r.password_checked_at ? new Date(r.password_checked_at) : null,
  };
}

/** The session and its user in one read (validation on every call). */
export async function findSessionAndUser(em: EntityManager, sessionId: string): Promise<{ session: SessionRow; user: SessionUserRow } | null> {
  const rows = await em.execute<
    (SessionDbRow & {
      id: string;
      email: string;
      first_name: string;
      last_name: string;
      role: UserRole;
      status: UserStatus;
      must_change_password: boolean;
    })[]
  >(
    `select ${SESSION_COLUMNS}, u.id, u.email, u.first_name, u.last_name, u.role, u.status, u.must_change_password
       from user_session s join app_user u on u.id = s.user_id where s.id = ?`,
    [sessionId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    session: toSession(r),
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

/** The user's sessions that have not expired at `now`, most recently used first. */
export async function sessionsOfUser(em: EntityManager, userId: string, now: Date): Promise<SessionRow[]> {
  const rows = await em.execute<SessionDbRow[]>(
    `select ${SESSION_COLUMNS} from user_session s
      where s.user_id = ? and s.expires_at > ? and s.absolute_expires_at > ?
      order by s.last_seen_at desc, s.created_at desc`,
    [userId, now, now],
  );
  return rows.map(toSession);
}

export async function insertSession(em: EntityManager, s: SessionRow): Promise<void> {
  await em.execute(
    `insert into user_session (id, user_id, created_at, last_seen_at, expires_at, absolute_expires_at, ip, user_agent, password_checked_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [s.id, s.userId, s.createdAt, s.lastSeenAt, s.expiresAt, s.absoluteExpiresAt, s.ip, s.userAgent, s.passwordCheckedAt],
  );
}

/** Slides the idle expiry (and applies a shortened absolute lifetime). */
export async function touchSession(em: EntityManager, sessionId: string, t: { lastSeenAt: Date; expiresAt: Date; absoluteExpiresAt: Date }): Promise<void> {
  await em.execute(`update user_session set last_seen_at = ?, expires_at = ?, absolute_expires_at = ? where id = ?`, [
    t.lastSeenAt,
    t.expiresAt,
    t.absoluteExpiresAt,
    sessionId,
  ]);
}

export async function deleteSession(em: EntityManager, sessionId: string): Promise<void> {
  await em.execute(`delete from user_session where id = ?`, [sessionId]);
}

/** Ends one session of this user; false when the user has no such session (someone else's, or gone). */
export async function deleteSessionOfUser(em: EntityManager, userId: string, sessionId: string): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(`delete from user_session where id = ? and user_id = ? returning id`, [sessionId, userId]);
  return rows.length > 0;
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

export async function deleteExpiredSessions(em: EntityManager, now: Date): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(`delete from user_session where expires_at <= ? or absolute_expires_at <= ? returning id`, [now, now]);
  return rows.length;
}

/**
 * What session validation + adminProcedure require of a session, as SQL over user_session `s`
 * joined to app_user `u`: not expired (expires_at is never later than absolute_expires_at), an
 * active admin who need not change their password first.
 */
export const ACTIVE_ADMIN_SESSION_SQL = `s.expires_at > now() and s.absolute_expires_at > now() and u.role = 'admin' and u.status = 'active' and not u.must_change_password`;

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

/** Re-authentication: the session just proved its user's password again. */
export async function markPasswordChecked(em: EntityManager, sessionId: string, at: Date): Promise<void> {
  await em.execute(`update user_session set password_checked_at = ? where id = ?`, [at, sessionId]);
}
