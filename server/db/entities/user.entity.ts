import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { USER_ROLES, USER_STATUSES } from '../../../shared/constants.js';
import { Organisation } from './organisation.entity.js';

export const User = defineEntity({
  name: 'User',
  tableName: 'app_user',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => randomUUID()),
    // Unique case-insensitively through the index on lower(email) (see the migration).
    email: p.string().length(254),
    firstName: p.string().length(100),
    lastName: p.string().length(100),
    organisation: () => p.manyToOne(Organisation).deleteRule('restrict'),
    role: p.enum([...USER_ROLES]).default('developer'),
    status: p.enum([...USER_STATUSES]),
    passwordHash: p.text().nullable().hidden(),
    mustChangePassword: p.boolean().default(false),
    rejectionReason: p.string().length(500).nullable(),
    /** When the owner proved the address (verification link or accepted invite); null until then. */
    emailVerifiedAt: p.datetime().nullable(),
    /** An admin's preference: the pending queue's single-key shortcuts (admin.preferences). */
    keyboardShortcuts: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    version: p.integer().version(),
  },
});
export type User = InferEntity<typeof User>;
