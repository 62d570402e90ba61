import type { EntityManager } from '@mikro-orm/postgresql';

/*
 * The SQL of server/security: rate_limit (shared fixed windows), login_lockout (the per-account
 * side of login lockouts) and bot_challenge_used (single-use proof-of-work solutions).
 */

/**
 * Counts one point for key in one atomic statement: a new window when none is open (or the open
 * one has expired), otherwise one more point in it. Returns the window after the hit.
 */
export async function bumpRateLimit(em: EntityManager, key: string, now: Date, windowEnd: Date): Promise<{ points: number; expiresAt: Date }> {
  const rows = await em.execute<{ points: number; expires_at: Date }[]>(
    `insert into rate_limit as r (key, points, expires_at) values (?, 1, ?)
     on conflict (key) do update set
       points = case when r.expires_at <= ? then 1 else r.points + 1 end,
       expires_at = case when r.expires_at <= ? then excluded.expires_at else r.expires_at end
     returning points, expires_at`,
    [key, windowEnd, now, now],
  );
  const row = rows[0]!;
  return { points: Number(row.points), expiresAt: new Date(row.expires_at) };
}

/** The open window of key, if any (without counting a point). */
export async function peekRateLimit(em: EntityManager, key: string, now: Date): Promise<{ points: number; expiresAt: Date } | null> {
  const rows = await em.execute<{ points: number; expires_at: Date }[]>(`select points, expires_at from rate_limit where key = ? and expires_at > ?`, [key, now]);
  const row = rows[0];
  return row ? { points: Number(row.points), expiresAt: new Date(row.expires_at) } : null;
}

export async function clearRateLimit(em: EntityManager, key: string): Promise<void> {
  await em.execute(`delete from rate_limit where key = ?`, [key]);
}

export async function clearRateLimitsLike(em: EntityManager, prefix: string): Promise<void> {
  await em.execute(`delete from rate_limit where key like ?`, [prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%']);
}

/** Deletes expired windows and expired used challenges. */
export async function purgeRateLimits(em: EntityManager, now: Date): Promise<void> {
  await em.execute(`delete from rate_limit where expires_at <= ?`, [now]);
  await em.execute(`delete from bot_challenge_used where expires_at <= ?`, [now]);
}

/**
 * Records a challenge signature as used. True the first time; false when any process already
 * recorded it (a replay).
 */
export async function markChallengeUsed(em: EntityManager, signature: string, expiresAt: Date): Promise<boolean> {
  const rows = await em.execute<{ signature: string }[]>(
    `insert into bot_challenge_used (signature, expires_at) values (?, ?) on conflict (signature) do nothing returning signature`,
    [signature, expiresAt],
  );
  return rows.length === 1;
}

export interface LockoutRow {
  userId: string;
  failures: number;
  firstFailureAt: Date;
  lastFailureAt: Date;
  challengedSince: Date | null;
  notifiedAt: Date | null;
}

interface RawLockout {
  user_id: string;
  failures: number;
  first_failure_at: Date;
  last_failure_at: Date;
  challenged_since: Date | null;
  notified_at: Date | null;
}

const fromRaw = (r: RawLockout): LockoutRow => ({
  userId: r.user_id,
  failures: Number(r.failures),
  firstFailureAt: new Date(r.first_failure_at),
  lastFailureAt: new Date(r.last_failure_at),
  challengedSince: r.challenged_since ? new Date(r.challenged_since) : null,
  notifiedAt: r.notified_at ? new Date(r.notified_at) : null,
});

export async function readLockout(em: EntityManager, userId: string): Promise<LockoutRow | null> {
  const rows = await em.execute<RawLockout[]>(`select * from login_lockout where user_id = ?`, [userId]);
  return rows[0] ? fromRaw(rows[0]) : null;
}

/** Reads the account's row for update (creating an empty one first), inside the caller's transaction. */
export async function lockLockoutRow(em: EntityManager, userId: string, now: Date): Promise<LockoutRow> {
  await em.execute(
    `insert into login_lockout (user_id, failures, first_failure_at, last_failure_at) values (?, 0, ?, ?) on conflict (user_id) do nothing`,
    [userId, now, now],
  );
  const rows = await em.execute<RawLockout[]>(`select * from login_lockout where user_id = ? for update`, [userId]);
  return fromRaw(rows[0]!);
}

export async function saveLockoutRow(em: EntityManager, row: LockoutRow): Promise<void> {
  await em.execute(
    `update login_lockout set failures = ?, first_failure_at = ?, last_failure_at = ?, challenged_since = ?, notified_at = ? where user_id = ?`,
    [row.failures, row.firstFailureAt, row.lastFailureAt, row.challengedSince, row.notifiedAt, row.userId],
  );
}

/** Ends the account's episode (a successful login or an admin's reset). Returns the row it removed. */
export async function deleteLockout(em: EntityManager, userId: string): Promise<LockoutRow | null> {
  const rows = await em.execute<RawLockout[]>(`delete from login_lockout where user_id = ? returning *`, [userId]);
  return rows[0] ? fromRaw(rows[0]) : null;
}
