import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../db/sql.js';

/*
 * The SQL of server/security: rate_limit (shared fixed windows), login_lockout (the per-account
 * side of login lockouts) and bot_challenge_used (single-use proof-of-work solutions), plus its
 * two keys of the setting table ("security", "securitySecret"). Those are read here rather than
 * through settings/settings.repository.ts because server/security sits below every other server
 * folder (trpc/context.ts uses it), so it may not import server/settings.
 */

/** One raw value of the setting table, or undefined. */
export async function readSecurityValue<T>(em: EntityManager, key: 'security' | 'securitySecret'): Promise<T | undefined> {
  const rows = await query<{ value: T }>(em, `select value from setting where key = ?`, [key]);
  return rows[0]?.value;
}

/** Writes the value only if the key has none yet, and returns the stored value (the first writer wins, across processes). */
export async function writeSecurityValueOnce<T>(em: EntityManager, key: 'securitySecret', value: T): Promise<T> {
  await query(em, `insert into setting (key, value, updated_at) values (?, ?::jsonb, now()) on conflict (key) do nothing`, [key, JSON.stringify(value)]);
  return (await readSecurityValue<T>(em, key)) as T;
}

/**
 * Counts one point for key in one atomic statement: a new window when none is open (or the open
 * one has expired), otherwise one more point in it. Returns the window after the hit.
 */
export async function bumpRateLimit(em: EntityManager, key: string, now: Date, windowEnd: Date): Promise<{ points: number; expiresAt: Date }> {
  const rows = await query<{ points: number; expires_at: Date }>(
    em,
    `insert into rate_limit as r (key, points, expires_at) values (?, 1, ?)
     on conflict (key) do update set
       points = case when r.expires_at <= ? then 1 else r.points + 1 end,
       expires_at = case when r.expires_at <= ? then excluded.expires_at else r.expires_at end
     returning points, expires_at`,
    [key, windowEnd, now, now],
  );
  const row = rows[0]!;
  return { points: row.points, expiresAt: new Date(row.expires_at) };
}

/** The open window of key, if any (without counting a point). */
export async function peekRateLimit(em: EntityManager, key: string, now: Date): Promise<{ points: number; expiresAt: Date } | null> {
  const rows = await query<{ points: number; expires_at: Date }>(em, `select points, expires_at from rate_limit where key = ? and expires_at > ?`, [key, now]);
  const row = rows[0];
  return row ? { points: row.points, expiresAt: new Date(row.expires_at) } : null;
}

export async function clearRateLimit(em: EntityManager, key: string): Promise<void> {
  await query(em, `delete from rate_limit where key = ?`, [key]);
}

export async function clearRateLimitsLike(em: EntityManager, prefix: string): Promise<void> {
  await query(em, `delete from rate_limit where key like ?`, [likePrefix(prefix)]);
}

const likePrefix = (prefix: string) => prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';

/** How many open windows under prefix have at least `points` points. */
export async function countRateLimitsOver(em: EntityManager, prefix: string, now: Date, points: number): Promise<number> {
  const rows = await query<{ n: string }>(em, `select count(*) as n from rate_limit where key like ? and expires_at > ? and points >= ?`, [
    likePrefix(prefix),
    now,
    points,
  ]);
  return Number(rows[0]?.n ?? 0);
}

/** Deletes expired windows and expired used challenges. */
export async function purgeRateLimits(em: EntityManager, now: Date): Promise<void> {
  await query(em, `delete from rate_limit where expires_at <= ?`, [now]);
  await query(em, `delete from bot_challenge_used where expires_at <= ?`, [now]);
  // Past the longest failure reset time a setting allows (7 days), a lockout row means nothing.
  await query(em, `delete from login_lockout where last_failure_at <= ?`, [new Date(now.getTime() - 7 * 24 * 3_600_000)]);
}

/**
 * Records a challenge signature as used. True the first time; false when any process already
 * recorded it (a replay).
 */
export async function markChallengeUsed(em: EntityManager, signature: string, expiresAt: Date): Promise<boolean> {
  const rows = await query<{ signature: string }>(
    em,
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
  failures: r.failures,
  firstFailureAt: new Date(r.first_failure_at),
  lastFailureAt: new Date(r.last_failure_at),
  challengedSince: r.challenged_since ? new Date(r.challenged_since) : null,
  notifiedAt: r.notified_at ? new Date(r.notified_at) : null,
});

export async function readLockout(em: EntityManager, userId: string): Promise<LockoutRow | null> {
  const rows = await query<RawLockout>(em, `select * from login_lockout where user_id = ?`, [userId]);
  return rows[0] ? fromRaw(rows[0]) : null;
}

/** Reads the account's row for update (creating an empty one first), inside the caller's transaction. */
export async function lockLockoutRow(em: EntityManager, userId: string, now: Date): Promise<LockoutRow> {
  await query(em, `insert into login_lockout (user_id, failures, first_failure_at, last_failure_at) values (?, 0, ?, ?) on conflict (user_id) do nothing`, [
    userId,
    now,
    now,
  ]);
  const rows = await query<RawLockout>(em, `select * from login_lockout where user_id = ? for update`, [userId]);
  return fromRaw(rows[0]!);
}

export async function saveLockoutRow(em: EntityManager, row: LockoutRow): Promise<void> {
  await query(em, `update login_lockout set failures = ?, first_failure_at = ?, last_failure_at = ?, challenged_since = ?, notified_at = ? where user_id = ?`, [
    row.failures,
    row.firstFailureAt,
    row.lastFailureAt,
    row.challengedSince,
    row.notifiedAt,
    row.userId,
  ]);
}

/** Ends the account's episode (a successful login or an admin's reset). Returns the row it removed. */
export async function deleteLockout(em: EntityManager, userId: string): Promise<LockoutRow | null> {
  const rows = await query<RawLockout>(em, `delete from login_lockout where user_id = ? returning *`, [userId]);
  return rows[0] ? fromRaw(rows[0]) : null;
}
