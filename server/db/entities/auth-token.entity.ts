import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { User } from './user.entity.js';

export const TOKEN_PURPOSES = ['password_reset', 'invite', 'email_verify'] as const;

// Single-use emailed tokens. Only the SHA-256 of the token is stored.
export const AuthToken = defineEntity({
  name: 'AuthToken',
  tableName: 'auth_token',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => randomUUID()),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    purpose: p.enum([...TOKEN_PURPOSES]),
    tokenHash: p.string().length(64).unique(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    openedAt: p.datetime().nullable(),
    createdById: p.uuid().nullable(),
    outboxId: p.bigint('number').nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type AuthToken = InferEntity<typeof AuthToken>;
