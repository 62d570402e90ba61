import type { DomainEventType } from './events.js';

/**
 * Which domain events can go out as webhooks, and how an endpoint chooses them.
 *
 * Deliverable: every `user.*`, `invite.*` and `organisation.*` event and `settings.changed`,
 * including types added to those families later. Internal events (email.*, mail.*, terms.*,
 * registration_form.*, webhook.*) never leave.
 *
 * An endpoint lists patterns: an exact type (`user.activated`), a family (`user.*`) or `*`
 * (every deliverable type, present and future).
 */
export const WEBHOOK_FAMILIES = ['user', 'invite', 'organisation'] as const;
export const WEBHOOK_SINGLE_TYPES = ['settings.changed'] as const;

/** The type a "Send test event" delivery carries; it is never a domain event. */
export const WEBHOOK_TEST_TYPE = 'webhook.test';

/** The deliverable types known today (for the page's checkboxes), in shared/events.ts order. */
export const WEBHOOK_EVENT_TYPES = [
  'user.registered',
  'user.email_verified',
  'user.activated',
  'user.rejected',
  'user.reconsidered',
  'user.deactivated',
  'user.deleted',
  'user.updated',
  'user.invited',
  'user.created',
  'user.password_changed',
  'user.lockout_started',
  'user.lockout_reset',
  'invite.sent',
  'invite.resent',
  'invite.revoked',
  'invite.accepted',
  'organisation.created',
  'organisation.renamed',
  'organisation.deleted',
  'settings.changed',
] as const satisfies readonly DomainEventType[];

export const WEBHOOK_PATTERNS = ['*', ...WEBHOOK_FAMILIES.map((f) => `${f}.*` as const), ...WEBHOOK_EVENT_TYPES] as const;

/** True when an event of this type may go out as a webhook. */
export function isDeliverableType(type: string): boolean {
  const dot = type.indexOf('.');
  if (dot <= 0) return false;
  return (WEBHOOK_FAMILIES as readonly string[]).includes(type.slice(0, dot)) || (WEBHOOK_SINGLE_TYPES as readonly string[]).includes(type);
}

/** A valid pattern: `*`, a family wildcard, or a deliverable type (present or future, e.g. `user.forgotten`). */
export function isWebhookPattern(p: string): boolean {
  if (p === '*') return true;
  const m = /^([a-z_]+)\.(\*|[a-z_]+)$/.exec(p);
  if (!m) return false;
  return m[2] === '*' ? (WEBHOOK_FAMILIES as readonly string[]).includes(m[1]!) : isDeliverableType(p);
}

/** The patterns that select an event of this type (what the fan-out looks for in an endpoint's list). */
export function patternsMatching(type: string): string[] {
  return ['*', `${type.slice(0, type.indexOf('.'))}.*`, type];
}

/** Standard Webhooks retry schedule: the delay before each attempt (the first goes at once); 10 attempts in all. */
export const WEBHOOK_RETRY_DELAYS_SECONDS = [0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600] as const;
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_SECONDS.length;
/** An endpoint whose deliveries keep failing this long is disabled and admins are emailed. */
export const WEBHOOK_DISABLE_AFTER_MS = 5 * 24 * 3600_000;
/** After a rotation, the previous secret still signs (a second signature) for this long. */
export const WEBHOOK_ROTATION_GRACE_MS = 24 * 3600_000;
/** Response bodies are kept up to this many bytes. */
export const WEBHOOK_BODY_KEEP_BYTES = 2048;
export const WEBHOOK_TIMEOUT_MS = 15_000;
/** The delivery log's live channel (NOTIFY payload: the endpoint id). */
export const WEBHOOK_LOG_CHANNEL = 'admit_webhook_log';
