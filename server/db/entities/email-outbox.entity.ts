import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const EMAIL_STATUSES = ['pending', 'sent', 'failed', 'suppressed'] as const;

export const EmailOutbox = defineEntity({
  name: 'EmailOutbox',
  tableName: 'email_outbox',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    template: p.string().length(64),
    toAddress: p.string().length(254),
    variables: p.json<Record<string, unknown>>(),
    status: p.enum([...EMAIL_STATUSES]).default('pending'),
    attempts: p.integer().default(0),
    maxAttempts: p.integer().default(31),
    nextAttemptAt: p.datetime().onCreate(() => new Date()),
    lockedUntil: p.datetime().nullable(),
    lastError: p.text().nullable(),
    messageId: p.string().nullable(),
    subject: p.string().length(300).nullable(),
    userId: p.uuid().nullable(),
    sentAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type EmailOutbox = InferEntity<typeof EmailOutbox>;
