import { randomBytes } from 'node:crypto';
import type { AppServices } from '../app-services.js';
import { API_TOKEN_PREFIX, isApiScope, type ApiScope } from '../../shared/api-scopes.js';
import { hashToken } from '../security/tokens.js';
import type { ApiPrincipal } from '../events/actor-context.js';
import { findApiTokenByHash, touchApiToken } from './api-tokens.repository.js';

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
