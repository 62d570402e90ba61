import type { UserRole, UserStatus } from './constants.js';

/** A snapshot of the user carried by user events, enough for a list row to update in place. */
export interface UserSnapshot {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: UserRole;
  status: UserStatus;
  organisationId: string;
  organisationName: string;
  createdAt: string;
  version: number;
}

/** Every domain event type and the shape of its data. */
export interface DomainEventMap {
  'user.registered': { user: UserSnapshot; autoApproved: boolean };
  'user.activated': { user: UserSnapshot; previousStatus: UserStatus };
  'user.rejected': { user: UserSnapshot; reason: string | null };
  'user.deactivated': { user: UserSnapshot };
  'user.deleted': { user: UserSnapshot };
  'user.updated': { user: UserSnapshot; changes: Record<string, { from: unknown; to: unknown }> };
  'user.invited': { user: UserSnapshot };
  'user.created': { user: UserSnapshot; mustChangePassword: boolean };
  'user.password_changed': { user: UserSnapshot; via: 'reset' | 'change' | 'forced_change' };
  'invite.sent': { user: UserSnapshot; tokenId: string; expiresAt: string };
  'invite.resent': { user: UserSnapshot; tokenId: string; expiresAt: string };
  'invite.revoked': { user: UserSnapshot; tokenId: string };
  'invite.accepted': { user: UserSnapshot; tokenId: string };
  'organisation.created': { organisation: { id: string; name: string } };
  'organisation.renamed': { organisation: { id: string; name: string }; previousName: string };
  'organisation.deleted': { organisation: { id: string; name: string } };
  'settings.changed': { changes: Record<string, { from: unknown; to: unknown }> };
  'email.sent': { outboxId: number; template: string; to: string };
  'email.failed': { outboxId: number; template: string; to: string; error: string };
}
export type DomainEventType = keyof DomainEventMap;

/** An event as it travels to clients. */
export interface DomainEventDto<T extends DomainEventType = DomainEventType> {
  id: number;
  type: T;
  actorId: string | null;
  actorName: string | null;
  userId: string | null;
  data: DomainEventMap[T];
  createdAt: string;
}
