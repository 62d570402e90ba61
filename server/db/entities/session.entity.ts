import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from './user.entity.js';

/** One signed-in browser. `id` is the SHA-256 (hex) of the token in the cookie; the token is never stored. */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'user_session',
  properties: {
    id: p.string().columnType('char(64)').primary(),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    createdAt: p.datetime(),
    lastSeenAt: p.datetime(),
    /** min(last seen + idle timeout, absoluteExpiresAt). */
    expiresAt: p.datetime(),
    absoluteExpiresAt: p.datetime(),
    ip: p.string().length(64).default(''),
    userAgent: p.string().length(300).default(''),
    /** When this session last proved the password (login or re-authentication); sensitive admin changes need it recent. */
    passwordCheckedAt: p.datetime().nullable(),
  },
});
export type Session = InferEntity<typeof Session>;
