import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

/** A webhook endpoint (Settings › Webhooks). The secrets are AES-256-GCM ciphertexts (webhooks/secret-box.ts). */
export const WebhookEndpoint = defineEntity({
  name: 'WebhookEndpoint',
  tableName: 'webhook_endpoint',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => randomUUID()),
    url: p.string().length(2000),
    description: p.string().length(200).default(''),
    eventTypes: p.json<string[]>(),
    enabled: p.boolean().default(true),
    disabledReason: p.text().nullable(),
    secretEnc: p.text(),
    previousSecretEnc: p.text().nullable(),
    previousSecretExpiresAt: p.datetime().nullable(),
    failingSince: p.datetime().nullable(),
    createdById: p.uuid().nullable(),
    version: p.integer().default(1),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type WebhookEndpoint = InferEntity<typeof WebhookEndpoint>;

/** One webhook to send: the outbox row of (event, endpoint); a replay is a new row with the same messageId. */
export const WebhookDelivery = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_delivery',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    endpoint: () => p.manyToOne(WebhookEndpoint).deleteRule('cascade'),
    messageId: p.string().length(64),
    eventId: p.bigint('number').nullable(),
    eventType: p.string().length(100),
    userId: p.uuid().nullable(),
    payload: p.json<Record<string, unknown>>(),
    status: p.enum([...WEBHOOK_DELIVERY_STATUSES]).default('pending'),
    attempts: p.integer().default(0),
    maxAttempts: p.integer().default(10),
    nextAttemptAt: p.datetime().onCreate(() => new Date()),
    lockedUntil: p.datetime().nullable(),
    lastAttemptAt: p.datetime().nullable(),
    responseStatus: p.integer().nullable(),
    responseBody: p.text().nullable(),
    latencyMs: p.integer().nullable(),
    lastError: p.text().nullable(),
    replayOf: p.bigint('number').nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
export type WebhookDelivery = InferEntity<typeof WebhookDelivery>;
