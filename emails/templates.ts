/**
 * The emails Admit sends: each template's variables (typed) and which of them carry secrets
 * (links with raw tokens). The outbox removes secret variables once the email has been sent.
 * `portalName` and `publicUrl` are added to every template by the renderer.
 */
export interface EmailTemplateVariables {
  'password-reset': { firstName: string; resetUrl: string; expiresInMinutes: number };
  'password-changed': { firstName: string; loginUrl: string; resetUrl: string };
  'registration-received': { firstName: string };
  'admin-new-registration': { adminFirstName: string; userName: string; userEmail: string; userUrl: string; answers?: Record<string, string> };
  /** To every admin when an admin created an API token or a webhook endpoint (server/mail/admin-notices.ts). */
  'admin-new-credential': { adminFirstName: string; kindLabel: string; credentialName: string; actorName: string; actorEmail: string; managePath: string };
  'account-activated': { firstName: string; loginUrl: string };
  'registration-rejected': { firstName: string; reason: string | null };
  welcome: { firstName: string; loginUrl: string };
  'signup-attempt-existing': { firstName: string; loginUrl: string; resetUrl: string };
  invite: { firstName: string; inviterName: string; acceptUrl: string; expiresAt: string };
  'verify-email': { firstName: string; verifyUrl: string; expiresInHours: number };
  /** acceptUrl/expiresAt: a fresh link (the earlier one expired); earlierLinkExpiresAt: the emailed link still works until then. */
  'invite-waiting': { firstName: string; acceptUrl: string | null; expiresAt: string | null; earlierLinkExpiresAt: string | null };
  'account-created': { firstName: string; email: string; loginUrl: string };
  'registration-reconsidered': { firstName: string };
  'account-locked': { firstName: string; failures: number; resetUrl: string; loginUrl: string };
  /** To every admin when the portal disabled a webhook endpoint (410 Gone, or failing for 5 days). */
  'webhook-disabled': { adminFirstName: string; endpointUrl: string; reason: string; webhookUrl: string };
}
export type EmailTemplateName = keyof EmailTemplateVariables;

export const SECRET_VARIABLES: { [K in EmailTemplateName]: (keyof EmailTemplateVariables[K])[] } = {
  'password-reset': ['resetUrl'],
  'password-changed': [],
  'registration-received': [],
  'admin-new-registration': [],
  'admin-new-credential': [],
  'account-activated': [],
  'registration-rejected': [],
  welcome: [],
  'signup-attempt-existing': [],
  invite: ['acceptUrl'],
  'verify-email': ['verifyUrl'],
  'invite-waiting': ['acceptUrl'],
  'account-created': [],
  'registration-reconsidered': [],
  'account-locked': [],
  'webhook-disabled': [],
};

export const EMAIL_TEMPLATE_NAMES = Object.keys(SECRET_VARIABLES) as EmailTemplateName[];

/**
 * How the per-recipient cap and the suppression list (server/mail/outbox.ts) treat a template.
 *
 * - `essential: true`: not held back by the per-recipient cap, and not counted by it. For emails
 *   that follow an admin's decision or the owner's own change (activated, rejected, welcome,
 *   invite, password changed…) and admin notifications: a stranger cannot make them repeat.
 * - `requested: true`: sent even to an address on the suppression list, because the person asked
 *   for this very email a moment ago (a password reset, a verification link). Still capped: a
 *   stranger can ask for them too, over and over.
 *
 * A template not listed here is a notice: capped and suppressible (e.g. a lockout notice), which
 * is the safe default for a template added later.
 */
export interface EmailDeliveryPolicy {
  essential: boolean;
  requested: boolean;
}

const NOTICE: EmailDeliveryPolicy = { essential: false, requested: false };
const ESSENTIAL: EmailDeliveryPolicy = { essential: true, requested: false };
const REQUESTED: EmailDeliveryPolicy = { essential: false, requested: true };

// Keyed by name (not by EmailTemplateName) so that a template added elsewhere falls back to NOTICE.
export const EMAIL_DELIVERY_POLICY: Readonly<Record<string, EmailDeliveryPolicy>> = {
  'password-reset': REQUESTED,
  'verify-email': REQUESTED,
  'password-changed': ESSENTIAL,
  'admin-new-registration': ESSENTIAL,
  'admin-new-credential': ESSENTIAL,
  'account-activated': ESSENTIAL,
  'registration-rejected': ESSENTIAL,
  'registration-reconsidered': ESSENTIAL,
  'account-created': ESSENTIAL,
  welcome: ESSENTIAL,
  invite: ESSENTIAL,
  'webhook-disabled': ESSENTIAL,
  // A stranger can trigger these for someone else's address: capped and suppressible.
  'registration-received': NOTICE,
  'signup-attempt-existing': NOTICE,
  'invite-waiting': NOTICE,
  'account-locked': NOTICE,
};

export function deliveryPolicy(template: string): EmailDeliveryPolicy {
  return EMAIL_DELIVERY_POLICY[template] ?? NOTICE;
}

/** Templates the per-recipient cap does not count (for the SQL count in server/mail). */
export const ESSENTIAL_TEMPLATES = Object.entries(EMAIL_DELIVERY_POLICY)
  .filter(([, p]) => p.essential)
  .map(([name]) => name);
