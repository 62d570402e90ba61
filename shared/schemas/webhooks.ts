import * as z from 'zod/mini';
import { WEBHOOK_PATTERNS, isWebhookPattern } from '../webhooks.js';
import { lineText, uuidSchema } from './common.js';

export const WEBHOOK_URL_MAX = 2000;
export const WEBHOOK_DESCRIPTION_MAX = 200;

/**
 * An endpoint's URL: http(s), a host, no user name or password (the secret signs; credentials in
 * a URL end up in logs). Whether the address may be reached is decided when it is connected to
 * (the SSRF guard), since a name can resolve differently later.
 */
export const webhookUrlSchema = z
  .string({ error: 'URL is required' })
  .check(
    z.trim(),
    z.minLength(1, { error: 'URL is required' }),
    z.maxLength(WEBHOOK_URL_MAX, { error: `URL must be at most ${WEBHOOK_URL_MAX} characters` }),
    (ctx) => {
      const problem = webhookUrlProblem(ctx.value);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    },
  );

export function webhookUrlProblem(value: string): string | null {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return 'Enter a full URL such as https://example.com/webhooks';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'URL must start with https:// or http://';
  if (!u.hostname) return 'URL must name a host';
  if (u.username || u.password) return 'URL must not contain a user name or password';
  if (/[\u0000-\u0020\u007f]/.test(value)) return 'URL must not contain spaces or control characters';
  return null;
}

export const webhookEventTypesSchema = z.array(z.string().check(z.refine(isWebhookPattern, { error: 'Unknown event type' }))).check(
  z.minLength(1, { error: 'Choose at least one event type' }),
  z.maxLength(WEBHOOK_PATTERNS.length, { error: 'Too many event types' }),
  z.refine((l) => new Set(l).size === l.length, { error: 'An event type is listed twice' }),
);

export const webhookEndpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  eventTypes: z.array(z.string()),
  enabled: z.boolean(),
  /** Why the portal disabled it (410 Gone, failing for 5 days); null when enabled or disabled by an admin. */
  disabledReason: z.nullable(z.string()),
  /** Until when the previous secret still signs after a rotation. */
  previousSecretValidUntil: z.nullable(z.string()),
  failingSince: z.nullable(z.string()),
  version: z.int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  counts: z.object({ pending: z.int(), succeeded: z.int(), failed: z.int() }),
  lastDeliveryAt: z.nullable(z.string()),
});
export type WebhookEndpointDto = z.infer<typeof webhookEndpointSchema>;

export const webhookListOutput = z.object({ items: z.array(webhookEndpointSchema), secretKeyConfigured: z.boolean() });

export const webhookIdInput = z.object({ id: uuidSchema });

export const createWebhookInput = z.object({
  url: webhookUrlSchema,
  description: z._default(lineText('Description', WEBHOOK_DESCRIPTION_MAX, { required: false }), ''),
  eventTypes: webhookEventTypesSchema,
  enabled: z._default(z.boolean(), true),
});
export type CreateWebhookInput = z.infer<typeof createWebhookInput>;

/** The new secret is in the answer once; it is never shown again. */
export const webhookWithSecretOutput = z.object({ endpoint: webhookEndpointSchema, secret: z.string() });

export const updateWebhookInput = z.object({
  id: uuidSchema,
  /** The version the admin edited; a newer one on the server answers CONFLICT. */
  version: z.int({ error: 'Invalid version' }),
  url: z.optional(webhookUrlSchema),
  description: z.optional(lineText('Description', WEBHOOK_DESCRIPTION_MAX, { required: false })),
  eventTypes: z.optional(webhookEventTypesSchema),
  enabled: z.optional(z.boolean()),
});
export type UpdateWebhookInput = z.infer<typeof updateWebhookInput>;

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export const webhookDeliverySchema = z.object({
  id: z.int(),
  endpointId: z.string(),
  messageId: z.string(),
  eventId: z.nullable(z.int()),
  eventType: z.string(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  attempts: z.int(),
  maxAttempts: z.int(),
  responseStatus: z.nullable(z.int()),
  responseBody: z.nullable(z.string()),
  latencyMs: z.nullable(z.int()),
  error: z.nullable(z.string()),
  nextAttemptAt: z.nullable(z.string()),
  lastAttemptAt: z.nullable(z.string()),
  replayOf: z.nullable(z.int()),
  createdAt: z.string(),
});
export type WebhookDeliveryDto = z.infer<typeof webhookDeliverySchema>;

export const webhookDeliveriesInput = z.object({
  endpointId: uuidSchema,
  status: z._default(z.enum(['all', ...WEBHOOK_DELIVERY_STATUSES], { error: 'Unknown status' }), 'all'),
  cursor: z.nullish(z.int().check(z.positive({ error: 'Invalid cursor' }))),
  limit: z._default(z.int().check(z.gte(1), z.lte(100)), 25),
});
export const webhookDeliveriesOutput = z.object({ items: z.array(webhookDeliverySchema), nextCursor: z.nullable(z.int()) });

export const replayDeliveryInput = z.object({ deliveryId: z.int({ error: 'Invalid id' }).check(z.positive({ error: 'Invalid id' })) });
export const replayDeliveryOutput = z.object({ delivery: webhookDeliverySchema });

export const replayFailedInput = z.object({
  endpointId: uuidSchema,
  /** ISO date-time: every delivery that failed for good and was created at or after it is sent again. */
  since: z.iso.datetime({ offset: true, error: 'Enter a date and time' }),
});
export const replayFailedOutput = z.object({ replayed: z.int() });

export const rotateSecretOutput = z.object({ secret: z.string(), previousSecretValidUntil: z.string() });

export const deleteWebhookOutput = z.object({ ok: z.literal(true) });

export const onWebhookDeliveryInput = z.optional(z.object({ endpointId: z.optional(uuidSchema) }));
/** A change in an endpoint's delivery log: the page reloads that log. */
export interface WebhookLogChange {
  endpointId: string;
}
