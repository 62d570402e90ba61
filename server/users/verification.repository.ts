import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../db/sql.js';

// The `email_verify` rows of auth_token (the raw token is never stored: only its SHA-256).

export interface VerifyTokenRow {
  id: string;
  user_id: string;
  email: string;
  status: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

/** Revokes every unused verification link of the user (a new one replaces them, or the address was verified). */
export async function revokeVerifyTokens(tx: EntityManager, userId: string, now: Date): Promise<void> {
  await query(tx, `update auth_token set revoked_at = ? where user_id = ? and purpose = 'email_verify' and used_at is null and revoked_at is null`, [
    now,
    userId,
  ]);
}

export async function insertVerifyToken(
  tx: EntityManager,
  t: { id: string; userId: string; tokenHash: string; expiresAt: Date; now: Date; outboxId?: number },
): Promise<void> {
  await query(tx, `insert into auth_token (id, user_id, purpose, token_hash, expires_at, created_at, outbox_id) values (?, ?, 'email_verify', ?, ?, ?, ?)`, [
    t.id,
    t.userId,
    t.tokenHash,
    t.expiresAt,
    t.now,
    t.outboxId ?? null,
  ]);
}

export async function findVerifyToken(em: EntityManager, tokenHash: string): Promise<VerifyTokenRow | undefined> {
  const rows = await query<VerifyTokenRow>(
    em,
    `select t.id, t.user_id, u.email, u.status, t.expires_at, t.used_at, t.revoked_at
       from auth_token t join app_user u on u.id = t.user_id
      where t.token_hash = ? and t.purpose = 'email_verify'`,
    [tokenHash],
  );
  return rows[0];
}

/**
 * Claims a usable link: one conditional UPDATE, so of two uses of the same link exactly one gets
 * the user id back.
 */
export async function claimVerifyToken(tx: EntityManager, tokenHash: string, now: Date): Promise<string | null> {
  const rows = await query<{ user_id: string }>(
    tx,
    `update auth_token set used_at = ?
      where token_hash = ? and purpose = 'email_verify' and used_at is null and revoked_at is null and expires_at > ?
      returning user_id`,
    [now, tokenHash, now],
  );
  return rows[0]?.user_id ?? null;
}

/** Whether the user's sign-up was flagged as a disposable address (then an admin always decides). */
export async function registeredAsDisposable(em: EntityManager, userId: string): Promise<boolean> {
  const rows = await query<{ flag: boolean | null }>(
    em,
    `select (data->>'disposableEmail')::boolean as flag from domain_event where user_id = ? and type = 'user.registered' order by id desc limit 1`,
    [userId],
  );
  return rows[0]?.flag === true;
}
