/**
 * The audit log's words: one sentence per event type, read the same on the page, in the CSV export
 * and in a person's data export ("Ada Lovelace activated Grace Hopper").
 */

/** The actions the audit log's filter offers, with a label each. Unknown types (newer features) still show, under their code. */
export const AUDIT_ACTIONS: { type: string; label: string }[] = [
  { type: 'user.registered', label: 'Registered' },
  { type: 'user.email_verified', label: 'Verified email address' },
  { type: 'user.activated', label: 'Activated' },
  { type: 'user.rejected', label: 'Rejected' },
  { type: 'user.reconsidered', label: 'Reconsidered' },
  { type: 'user.deactivated', label: 'Deactivated' },
  { type: 'user.deleted', label: 'Deleted' },
  { type: 'user.forgotten', label: 'Forgotten (personal data erased)' },
  { type: 'user.updated', label: 'Details changed' },
  { type: 'user.created', label: 'Added by an admin' },
  { type: 'user.invited', label: 'Invited' },
  { type: 'user.password_changed', label: 'Password changed' },
  { type: 'user.lockout_started', label: 'Login lockout started' },
  { type: 'user.lockout_reset', label: 'Login lockout reset' },
  { type: 'session.ended', label: 'Sessions ended' },
  { type: 'invite.sent', label: 'Invite sent' },
  { type: 'invite.resent', label: 'Invite resent' },
  { type: 'invite.revoked', label: 'Invite revoked' },
  { type: 'invite.accepted', label: 'Invite accepted' },
  { type: 'organisation.created', label: 'Organisation created' },
  { type: 'organisation.renamed', label: 'Organisation renamed' },
  { type: 'organisation.deleted', label: 'Organisation deleted' },
  { type: 'settings.changed', label: 'Settings changed' },
  { type: 'registration_form.published', label: 'Registration form published' },
  { type: 'terms.published', label: 'Terms published' },
  { type: 'terms.accepted', label: 'Terms accepted' },
  { type: 'email.sent', label: 'Email sent' },
  { type: 'email.failed', label: 'Email failed' },
  { type: 'mail.link_revealed', label: 'Email links revealed' },
  { type: 'mail.suppression_added', label: 'Address suppressed' },
  { type: 'mail.suppression_removed', label: 'Address no longer suppressed' },
  { type: 'api_token.created', label: 'API token created' },
  { type: 'api_token.revoked', label: 'API token revoked' },
  { type: 'webhook.created', label: 'Webhook endpoint added' },
  { type: 'webhook.updated', label: 'Webhook endpoint changed' },
  { type: 'webhook.deleted', label: 'Webhook endpoint deleted' },
  { type: 'webhook.secret_rotated', label: 'Webhook secret rotated' },
  { type: 'webhook.disabled', label: 'Webhook endpoint disabled' },
  { type: 'webhook.replayed', label: 'Webhook deliveries replayed' },
];

export interface SentenceInput {
  type: string;
  data: Record<string, unknown>;
  actor: { id: string; name: string | null; deleted: boolean } | null;
  target: { id: string; name: string | null; deleted: boolean } | null;
  token?: { name: string } | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const quoted = (v: unknown) => `“${str(v) ?? '?'}”`;
/** A property of a nested object in an event's data (e.g. data.token.name), if there is one. */
const field = (o: unknown, key: string): unknown => (o && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined);

function personName(p: { name: string | null; deleted: boolean } | null, fallback: string): string {
  if (!p) return fallback;
  return p.name ?? (p.deleted ? 'a deleted user' : 'an unnamed user');
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** One sentence for an event. The subject is the actor, or the person it is about for things people do themselves. */
export function describeEvent(e: SentenceInput): string {
  const d = e.data;
  const self = e.actor !== null && e.target !== null && e.actor.id === e.target.id;
  const actor = personName(e.actor, 'the system');
  const target = personName(e.target, 'a user');
  // Things a person does themselves read with them as the subject even when an admin's action caused them.
  const them = self ? actor : target;
  const org = (d.organisation && typeof d.organisation === 'object' ? (d.organisation as Record<string, unknown>).name : null) ?? null;
  const sentence = ((): string => {
    switch (e.type) {
      case 'user.registered':
        return `${them} registered${d.autoApproved ? ' and was approved automatically' : ''}`;
      case 'user.email_verified':
        return `${them} verified their email address${d.autoApproved ? ' and was approved automatically' : ''}`;
      case 'user.activated':
        return `${actor} activated ${target}`;
      case 'user.rejected':
        return `${actor} rejected ${target}${str(d.reason) ? ` (reason: ${str(d.reason)})` : ''}`;
      case 'user.reconsidered':
        return `${actor} reconsidered the rejection of ${target}`;
      case 'user.deactivated':
        return `${actor} deactivated ${target}`;
      case 'user.deleted':
        return `${actor} deleted ${target}`;
      case 'user.forgotten':
        return `${actor} erased the personal data of ${target}`;
      case 'user.updated': {
        const fields = d.changes && typeof d.changes === 'object' ? Object.keys(d.changes) : [];
        return self ? `${actor} changed their ${fields.join(', ') || 'details'}` : `${actor} changed ${fields.join(', ') || 'the details'} of ${target}`;
      }
      case 'user.created':
        return `${actor} added ${target}`;
      case 'user.invited':
        return `${actor} invited ${target}`;
      case 'user.password_changed':
        return d.via === 'reset' ? `${them} reset their password` : `${them} changed their password`;
      case 'user.lockout_started':
        return `Logins to ${target}'s account need an extra check after ${typeof d.failures === 'number' ? d.failures : 'many'} failed attempts`;
      case 'user.lockout_reset':
        return d.by === 'admin' ? `${actor} reset the failed logins of ${target}` : `${them} logged in, ending the login lockout`;
      case 'session.ended': {
        const n = typeof d.sessions === 'number' ? d.sessions : 1;
        const what = n === 1 ? 'a session' : `${n} sessions`;
        return self ? `${actor} ended ${what} of their own` : `${actor} ended ${what} of ${target}`;
      }
      case 'invite.sent':
        return `${actor} sent an invite to ${target}`;
      case 'invite.resent':
        return `${actor} sent the invite to ${target} again`;
      case 'invite.revoked':
        return `${actor} revoked the invite of ${target}`;
      case 'invite.accepted':
        return `${them} accepted their invite`;
      case 'organisation.created':
        return `${actor} created the organisation ${quoted(org)}`;
      case 'organisation.renamed':
        return `${actor} renamed the organisation ${quoted(d.previousName)} to ${quoted(org)}`;
      case 'organisation.deleted':
        return `${actor} deleted the organisation ${quoted(org)}`;
      case 'settings.changed': {
        const keys = d.changes && typeof d.changes === 'object' ? Object.keys(d.changes) : [];
        return `${actor} changed the settings${keys.length ? `: ${keys.join(', ')}` : ''}`;
      }
      case 'registration_form.published':
        return `${actor} published version ${String(d.version)} of the registration form`;
      case 'terms.published':
        return `${actor} published the terms ${quoted(d.title)}`;
      case 'terms.accepted':
        return `${them} accepted version ${String(d.versionId)} of the terms`;
      case 'email.sent':
        return `Email ${quoted(d.template)} sent to ${str(d.to) ?? target}`;
      case 'email.failed':
        return `Email ${quoted(d.template)} to ${str(d.to) ?? target} could not be sent`;
      case 'mail.link_revealed':
        return `${actor} revealed the links of an email to ${str(d.to) ?? 'someone else'}`;
      case 'mail.suppression_added':
        return `${actor} stopped all email to ${str(d.address) ?? 'an address'}`;
      case 'mail.suppression_removed':
        return `${actor} allowed email to ${str(d.address) ?? 'an address'} again`;
      case 'api_token.created': {
        const scopes = Array.isArray(field(d.token, 'scopes')) ? (field(d.token, 'scopes') as unknown[]).join(', ') : '';
        return `${actor} created the API token ${quoted(field(d.token, 'name'))}${scopes ? ` (${scopes})` : ''}`;
      }
      case 'api_token.revoked':
        return `${actor} revoked the API token ${quoted(field(d.token, 'name'))}`;
      case 'webhook.created':
        return `${actor} added the webhook endpoint ${str(field(d.endpoint, 'url')) ?? '?'}`;
      case 'webhook.updated': {
        const keys = d.changes && typeof d.changes === 'object' ? Object.keys(d.changes) : [];
        return `${actor} changed ${keys.join(', ') || 'the settings'} of the webhook endpoint ${str(field(d.endpoint, 'url')) ?? '?'}`;
      }
      case 'webhook.deleted':
        return `${actor} deleted the webhook endpoint ${str(field(d.endpoint, 'url')) ?? '?'}`;
      case 'webhook.secret_rotated':
        return `${actor} rotated the secret of the webhook endpoint ${str(field(d.endpoint, 'url')) ?? '?'}`;
      case 'webhook.disabled':
        return `The webhook endpoint ${str(field(d.endpoint, 'url')) ?? '?'} was disabled${str(d.reason) ? ` (${str(d.reason)})` : ''}`;
      case 'webhook.replayed':
        return `${actor} replayed ${typeof d.deliveries === 'number' ? d.deliveries : 'some'} deliveries to the webhook endpoint ${str(field(d.endpoint, 'url')) ?? '?'}`;
      default:
        return e.target ? `${actor}: ${e.type} (${target})` : `${actor}: ${e.type}`;
    }
  })();
  const withToken = e.token ? `${sentence} (with the API token ${quoted(e.token.name)})` : sentence;
  return capitalise(withToken);
}
