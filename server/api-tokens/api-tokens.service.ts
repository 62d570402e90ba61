import { randomBytes, randomUUID } from 'node:crypto';
import type { AppServices } from '../app-services.js';
import { API_SCOPES, API_TOKEN_PREFIX, isApiScope, type ApiScope } from '../../shared/api-scopes.js';
import type { ApiTokenDto, CreateApiTokenInput } from '../../shared/schemas/api-tokens.js';
import { AppError } from '../errors.js';
import { hashToken } from '../security/tokens.js';
import { appendEvent } from '../events/append.js';
import type { ApiPrincipal } from '../events/actor-context.js';
import { notifyAdminsOfNewCredential } from '../mail/admin-notices.js';
import {
  countLiveApiTokens,
  findApiToken,
  findApiTokenByHash,
  insertApiToken,
  listApiTokens,
  revokeApiToken,
  touchApiToken,
  type ApiTokenRow,
} from './api-tokens.repository.js';

export type { ApiPrincipal } from '../events/actor-context.js';

/** What authenticateApiRequest needs of the app (AppServices has it all). */
export type ApiAuthServices = Pick<AppServices, 'em' | 'clock' | 'limits'>;

export type ApiAuthResult =
  { ok: true; principal: ApiPrincipal } | { ok: false; status: 401 | 403 | 429; title: string; detail: string; retryAfterSeconds?: number };

/** last_used_at / last_used_ip are written at most this often per token (any number of processes). */
export const LAST_USED_INTERVAL_MS = 60_000;

// 32 random bytes (256 bits), base64url: 43 characters after the prefix.
const TOKEN_PATTERN = new RegExp(`^${API_TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);

/** A new token: the recognisable prefix and 256 random bits. Shown once; only hashApiToken(token) is kept. */
export function generateApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** The stored form of a token: SHA-256, hex. A token has 256 random bits, so a fast hash is enough (no guessing to slow down). */
export function hashApiToken(token: string): string {
  return hashToken(token);
}

const unauthorized = (detail: string): ApiAuthResult => ({ ok: false, status: 401, title: 'Unauthorized', detail });

/**
 * Authenticates one REST API request from its Authorization header (`Bearer admit_pat_…`).
 * Checked on every request, so a change takes effect at once:
 * - the token must exist (looked up by its SHA-256), not be revoked, not be expired;
 * - its owner must still be an active admin (deactivating or demoting them disables their tokens);
 * - the per-token rate limit (limits.apiToken, PostgreSQL-backed, shared by every process) → 429;
 * - last use (time and address) is recorded at most once a minute.
 * Scopes are the caller's to check against the operation (principal.scopes).
 */
export async function authenticateApiRequest(app: ApiAuthServices, authorization: string | undefined, ip: string | null): Promise<ApiAuthResult> {
  if (!authorization) return unauthorized('This endpoint needs an API token: send "Authorization: Bearer <token>" (Settings › API tokens).');
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (!m) return unauthorized('The Authorization header must be "Bearer <token>".');
  const token = m[1]!;
  if (!TOKEN_PATTERN.test(token)) return unauthorized('The API token is not valid.');
  const em = app.em();
  const row = await findApiTokenByHash(em, hashApiToken(token));
  if (!row) return unauthorized('The API token is not valid.');
  const now = app.clock.now();
  if (row.revokedAt) return unauthorized('The API token has been revoked.');
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return unauthorized('The API token has expired.');
  if (row.ownerRole !== 'admin' || row.ownerStatus !== 'active')
    return unauthorized('The API token belongs to someone who is no longer an active administrator.');
  const wait = await app.limits.apiToken.hit(row.id);
  if (wait > 0) {
    const retryAfterSeconds = Math.max(1, Math.ceil(wait / 1000));
    return {
      ok: false,
      status: 429,
      title: 'Too Many Requests',
      detail: `Too many requests with this API token. Try again in ${retryAfterSeconds} s.`,
      retryAfterSeconds,
    };
  }
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_INTERVAL_MS) {
    await touchApiToken(em, row.id, now, ip ? ip.slice(0, 64) : null, LAST_USED_INTERVAL_MS);
  }
  return { ok: true, principal: { tokenId: row.id, tokenName: row.name, userId: row.userId, scopes: row.scopes.filter(isApiScope) } };
}

/** True when the principal carries the scope (the REST edge refuses with 403 otherwise). */
export function hasScope(principal: ApiPrincipal, scope: ApiScope): boolean {
  return principal.scopes.includes(scope);
}

const DAY_MS = 24 * 60 * 60_000;
/** At most this many live (not revoked, not expired) tokens per admin: a runaway script cannot mint thousands. */
export const MAX_LIVE_TOKENS_PER_ADMIN = 50;

function stateOf(row: ApiTokenRow, now: Date): ApiTokenDto['state'] {
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

function toDto(row: ApiTokenRow, now: Date): ApiTokenDto {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    lastUsedIp: row.lastUsedIp,
    state: stateOf(row, now),
  };
}

/** Settings › API tokens: the signed-in admin's own tokens, newest first. */
export async function listOwnApiTokens(app: AppServices, actor: { id: string }): Promise<ApiTokenDto[]> {
  const now = app.clock.now();
  return (await listApiTokens(app.em(), actor.id)).map((r) => toDto(r, now));
}

/**
 * Creates a token for the signed-in admin. Returns the token itself, which is never stored (only
 * its SHA-256) and never shown again. In one transaction: the row, the `api_token.created` event
 * and an email to every active admin.
 */
export async function createApiToken(app: AppServices, actor: { id: string }, input: CreateApiTokenInput): Promise<{ token: string; item: ApiTokenDto }> {
  const token = generateApiToken();
  const now = app.clock.now();
  const row: ApiTokenRow = {
    id: randomUUID(),
    userId: actor.id,
    name: input.name,
    scopes: API_SCOPES.filter((s) => input.scopes.includes(s)),
    createdAt: now,
    expiresAt: input.expiresInDays === null ? null : new Date(now.getTime() + input.expiresInDays * DAY_MS),
    revokedAt: null,
    lastUsedAt: null,
    lastUsedIp: null,
  };
  await app.em().transactional(async (tx) => {
    // One admin's creations queue behind each other, so the limit holds under concurrent requests.
    await tx.execute(`select id from app_user where id = ? for update`, [actor.id]);
    if ((await countLiveApiTokens(tx, actor.id, now)) >= MAX_LIVE_TOKENS_PER_ADMIN) {
      throw new AppError('CONFLICT', 'CONFLICT', `You already have ${MAX_LIVE_TOKENS_PER_ADMIN} active tokens. Revoke one you no longer use first.`);
    }
    await insertApiToken(tx, { ...row, tokenHash: hashApiToken(token) });
    await appendEvent(
      tx,
      'api_token.created',
      { token: { id: row.id, name: row.name, scopes: row.scopes, expiresAt: row.expiresAt?.toISOString() ?? null }, ownerId: actor.id },
      { actorId: actor.id },
    );
    await notifyAdminsOfNewCredential(tx, { kind: 'api_token', name: row.name, actorId: actor.id });
  });
  return { token, item: toDto(row, now) };
}

/** Revokes one of the signed-in admin's tokens; it stops working at the next request. Revoking twice is a no-op. */
export async function revokeOwnApiToken(app: AppServices, actor: { id: string }, id: string): Promise<ApiTokenDto> {
  const now = app.clock.now();
  return app.em().transactional(async (tx) => {
    const row = await findApiToken(tx, id);
    // Another admin's token is "not found": tokens are personal (deactivate or demote the owner to stop theirs).
    if (!row || row.userId !== actor.id) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'No such API token');
    if (await revokeApiToken(tx, id, actor.id, now)) {
      await appendEvent(tx, 'api_token.revoked', { token: { id: row.id, name: row.name }, ownerId: row.userId }, { actorId: actor.id });
      row.revokedAt = now;
    }
    return toDto(row, now);
  });
}
