import type { UserStatus } from './constants.js';
import type { UserSnapshot } from './schemas/users.js';

/** A snapshot of the user carried by user events (the users list's row; one shape, in schemas/users.ts). */
export type { UserSnapshot };

/**
 * One changed field in user.updated / settings.changed: its value before and after. Never
 * undefined (JSON has no undefined), so the shape survives the trip to the client unchanged.
 */
export interface FieldChange {
  from: string | number | boolean | object | null;
  to: string | number | boolean | object | null;
}

/** Every domain event type and the shape of its data. */
export interface DomainEventMap {
  'user.registered': { user: UserSnapshot; autoApproved: boolean; disposableEmail?: boolean };
  'user.activated': { user: UserSnapshot; previousStatus: UserStatus };
  'user.rejected': { user: UserSnapshot; reason: string | null };
  'user.deactivated': { user: UserSnapshot };
  'user.deleted': { user: UserSnapshot };
  'user.updated': { user: UserSnapshot; changes: Record<string, FieldChange> };
  'user.invited': { user: UserSnapshot };
  'user.created': { user: UserSnapshot; mustChangePassword: boolean };
  /** The owner followed the verification link; the policy then decided `user.status` (active or pending). */
  'user.email_verified': { user: UserSnapshot; autoApproved: boolean };
  /** A rejected registration moved back to pending or activated by an admin. */
  'user.reconsidered': { user: UserSnapshot; previousStatus: UserStatus; emailed: boolean };
  'user.password_changed': { user: UserSnapshot; via: 'reset' | 'change' | 'forced_change' };
  'invite.sent': { user: UserSnapshot; tokenId: string; expiresAt: string };
  'invite.resent': { user: UserSnapshot; tokenId: string; expiresAt: string };
  'invite.revoked': { user: UserSnapshot; tokenId: string };
  'invite.accepted': { user: UserSnapshot; tokenId: string };
  'organisation.created': { organisation: { id: string; name: string } };
  'organisation.renamed': { organisation: { id: string; name: string }; previousName: string };
  'organisation.deleted': { organisation: { id: string; name: string } };
  /** Settings › API tokens: an admin created or revoked one of their tokens (never the token itself). */
  'api_token.created': { token: { id: string; name: string; scopes: string[]; expiresAt: string | null }; ownerId: string };
  'api_token.revoked': { token: { id: string; name: string }; ownerId: string };
  'settings.changed': { changes: Record<string, FieldChange> };
  /** Settings › Registration form: a new version of the sign-up fields (their keys, in order). */
  'registration_form.published': { version: number; keys: string[] };
  /** Settings › Terms: a new version of the terms. */
  'terms.published': { versionId: number; title: string; mustReaccept: boolean };
  /** A user accepted a terms version (at sign-up, invite acceptance, or the re-accept page). */
  'terms.accepted': { versionId: number; via: 'signup' | 'invite' | 'reaccept' };
  'email.sent': { outboxId: number; template: string; to: string };
  'email.failed': { outboxId: number; template: string; to: string; error: string };
  /** Failed logins passed the per-account limit: every login to the account now needs a harder proof-of-work (one per episode). */
  'user.lockout_started': { user: UserSnapshot; failures: number };
  /** The episode ended: the owner logged in, or an admin pressed Reset. */
  'user.lockout_reset': { user: UserSnapshot; failures: number; by: 'login' | 'admin' };
  /**
   * Forget (GDPR erasure): the person's personal data was erased everywhere. Carries none itself: the
   * anonymised account's snapshot when the account still exists, else null.
   */
  'user.forgotten': { user: UserSnapshot | null; accountKept: boolean };
  /**
   * Sessions ended before they expired: an admin ended one or all of a user's sessions (the user
   * page), or the user ended one of their own or "all others" (Sessions on /home). Signing out is
   * not recorded. `sessions`: how many ended.
   */
  'session.ended': { user: UserSnapshot; sessions: number; by: 'self' | 'admin' };
  /** An admin revealed the one-time links of an email addressed to someone else (built-in mailbox). */
  'mail.link_revealed': { messageId: number; template: string; to: string; adminId: string };
  /** The suppression list: no email goes to the address but the one its owner asks for at that moment. */
  'mail.suppression_added': { address: string; reason: string };
  'mail.suppression_removed': { address: string };
  /** Settings › Webhooks (never delivered as webhooks themselves). */
  'webhook.created': { endpoint: { id: string; url: string }; eventTypes: string[]; enabled: boolean };
  'webhook.updated': { endpoint: { id: string; url: string }; changes: Record<string, FieldChange> };
  'webhook.deleted': { endpoint: { id: string; url: string } };
  'webhook.secret_rotated': { endpoint: { id: string; url: string }; previousValidUntil: string };
  /** The portal disabled the endpoint: it answered 410 Gone, or kept failing for 5 days. */
  'webhook.disabled': { endpoint: { id: string; url: string }; reason: string };
  /** An admin replayed deliveries (one, or all failed since a time). */
  'webhook.replayed': { endpoint: { id: string; url: string }; deliveries: number };
}
export type DomainEventType = keyof DomainEventMap;

/** How many users have each status, and in all, right after event `at` (the admin shell's counts). */
export interface UserCountsDto {
  byStatus: Record<UserStatus, number>;
  total: number;
  /** The event position the counts belong to: newer counts have a larger `at`. */
  at: number;
}

/** An event as it travels to clients. */
export interface DomainEventDto<T extends DomainEventType = DomainEventType> {
  id: number;
  type: T;
  actorId: string | null;
  actorName: string | null;
  userId: string | null;
  data: DomainEventMap[T];
  createdAt: string;
  /**
   * Live stream only: the per-status counts right after this event, on the last event of a batch
   * that changed them (so a dashboard never re-queries them). Absent on replayed events.
   */
  counts?: UserCountsDto;
}
