import type { EntityManager } from '@mikro-orm/postgresql';
import type { ApiScope } from '../../shared/api-scopes.js';
import type { UserRole, UserStatus } from '../../shared/constants.js';

// Every statement on api_token. Only token_hash (SHA-256, hex) identifies a token; the token itself is never stored.

export interface ApiTokenRow {
  id: string;
  userId: string;
  name: string;
  scopes: ApiScope[];
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
}

interface DbRow {
  id: string;
  user_id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
}

const COLUMNS = `t.id, t.user_id, t.name, t.scopes, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, t.last_used_ip`;
const date = (d: Date | null) => (d ? new Date(d) : null);

function toRow(r: DbRow): ApiTokenRow {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    scopes: r.scopes as ApiScope[],
    createdAt: new Date(r.created_at),
    expiresAt: date(r.expires_at),
    revokedAt: date(r.revoked_at),
    lastUsedAt: date(r.last_used_at),
    lastUsedIp: r.last_used_ip,
  };
}

export async function insertApiToken(
  em: EntityManager,
  row: Omit<ApiTokenRow, 'revokedAt' | 'lastUsedAt' | 'lastUsedIp'> & { tokenHash: string },
): Promise<void> {
  await em.execute(`insert into api_token (id, user_id, name, token_hash, scopes, created_at, expires_at) values (?, ?, ?, ?, ?::text[], ?, ?)`, [
    row.id,
    row.userId,
    row.name,
    row.tokenHash,
    `{${row.scopes.join(',')}}`,
    row.createdAt,
    row.expiresAt,
  ]);
}

/** The token with this hash and its owner's role and status (checked on every request). */
export async function findApiTokenByHash(
  em: EntityManager,
  tokenHash: string,
): Promise<(ApiTokenRow & { ownerRole: UserRole; ownerStatus: UserStatus }) | null> {
  const rows = await em.execute<(DbRow & { role: UserRole; status: UserStatus })[]>(
    `select ${COLUMNS}, u.role, u.status from api_token t join app_user u on u.id = t.user_id where t.token_hash = ?`,
    [tokenHash],
  );
  const r = rows[0];
  return r ? { ...toRow(r), ownerRole: r.role, ownerStatus: r.status } : null;
}

/** An admin's tokens, newest first (revoked ones too, for the record). */
export async function listApiTokens(em: EntityManager, userId: string): Promise<ApiTokenRow[]> {
  const rows = await em.execute<DbRow[]>(`select ${COLUMNS} from api_token t where t.user_id = ? order by t.created_at desc, t.id`, [userId]);
  return rows.map(toRow);
}

export async function findApiToken(em: EntityManager, id: string): Promise<ApiTokenRow | null> {
  const rows = await em.execute<DbRow[]>(`select ${COLUMNS} from api_token t where t.id = ?`, [id]);
  return rows[0] ? toRow(rows[0]) : null;
}

/** Revokes the token if it is still live; false when it was already revoked (or does not exist). */
export async function revokeApiToken(em: EntityManager, id: string, by: string, at: Date): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(`update api_token set revoked_at = ?, revoked_by_id = ? where id = ? and revoked_at is null returning id`, [
    at,
    by,
    id,
  ]);
  return rows.length > 0;
}

/**
 * Records a use, at most once per `minIntervalMs` per token whichever process serves it: the
 * condition is in the update itself, so concurrent requests write once.
 */
export async function touchApiToken(em: EntityManager, id: string, at: Date, ip: string | null, minIntervalMs: number): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `update api_token set last_used_at = ?, last_used_ip = ?
      where id = ? and (last_used_at is null or last_used_at <= ?::timestamptz - (? * interval '1 millisecond')) returning id`,
    [at, ip, id, at, minIntervalMs],
  );
  return rows.length > 0;
}

/** Tokens of this admin that still work (not revoked, not expired). */
export async function countLiveApiTokens(em: EntityManager, userId: string, now: Date): Promise<number> {
  const rows = await em.execute<{ n: string }[]>(
    `select count(*) as n from api_token where user_id = ? and revoked_at is null and (expires_at is null or expires_at > ?)`,
    [userId, now],
  );
  return Number(rows[0]?.n ?? 0);
}
