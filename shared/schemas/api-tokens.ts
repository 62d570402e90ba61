import * as z from 'zod/mini';
import { API_SCOPES } from '../api-scopes.js';
import { nameText, uuidSchema } from './common.js';

export const API_TOKEN_NAME_MAX = 100;

/**
 * Lifetimes offered when creating a token, in days; null = never expires. 90 days is the default:
 * long enough that an integration is not broken every month, short enough that a forgotten token
 * dies on its own. "Never" exists for server-to-server integrations that must not stop silently;
 * the page warns about it. A token can always be revoked, and dies with its owner's admin rights.
 */
export const API_TOKEN_EXPIRY_DAYS = [7, 30, 90, 365] as const;
export const DEFAULT_API_TOKEN_EXPIRY_DAYS = 90;

export const apiScopeSchema = z.enum(API_SCOPES, { error: 'Unknown scope' });

export const createApiTokenInput = z.object({
  name: nameText('Name', API_TOKEN_NAME_MAX),
  scopes: z.array(apiScopeSchema).check(
    z.minLength(1, { error: 'Choose at least one scope' }),
    z.maxLength(API_SCOPES.length, { error: 'Too many scopes' }),
    z.refine((s) => new Set(s).size === s.length, { error: 'Each scope only once' }),
  ),
  expiresInDays: z.nullable(
    z.union(
      API_TOKEN_EXPIRY_DAYS.map((d) => z.literal(d)),
      { error: 'Choose 7, 30, 90 or 365 days, or no expiry' },
    ),
  ),
});
export type CreateApiTokenInput = z.infer<typeof createApiTokenInput>;

export const apiTokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(apiScopeSchema),
  createdAt: z.string(),
  expiresAt: z.nullable(z.string()),
  revokedAt: z.nullable(z.string()),
  lastUsedAt: z.nullable(z.string()),
  lastUsedIp: z.nullable(z.string()),
  state: z.enum(['active', 'expired', 'revoked']),
});
export type ApiTokenDto = z.infer<typeof apiTokenSchema>;

export const apiTokenListOutput = z.object({ items: z.array(apiTokenSchema) });
export type ApiTokenListOutput = z.infer<typeof apiTokenListOutput>;

/** The token itself is in this answer only: it is never stored, and cannot be shown again. */
export const createApiTokenOutput = z.object({ token: z.string(), item: apiTokenSchema });
export type CreateApiTokenOutput = z.infer<typeof createApiTokenOutput>;

export const revokeApiTokenInput = z.object({ id: uuidSchema });
export const revokeApiTokenOutput = z.object({ ok: z.literal(true), item: apiTokenSchema });
