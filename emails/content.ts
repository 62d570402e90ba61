import type { EmailTemplateName, EmailTemplateVariables } from './templates.js';

/**
 * The words of each email, as shipped: its subject and its main text (the part admins may override
 * in Settings > Emails; "reset to default" brings these back). The layout around them lives in
 * `<name>.mjml` (HTML part) and `<name>.txt` (plain-text part).
 *
 * Both use `{{variable}}` placeholders: the template's own variables plus `portalName` and
 * `publicUrl`. Values are escaped when filled in; in the main text, blank lines separate paragraphs
 * and URL variables become links. `sample` is what the preview and the test email use.
 */
export interface TemplateContent<T extends EmailTemplateName> {
  label: string;
  description: string;
  subject: string;
  mainText: string;
  sample: EmailTemplateVariables[T];
}

const sampleUrl = (path: string) => `{{publicUrl}}${path}`;

export const TEMPLATE_CONTENT: { [K in EmailTemplateName]: TemplateContent<K> } = {
  'password-reset': {
    label: 'Password reset',
    description: 'Sent when someone asks to reset the password of an active account. Carries a single-use link.',
    subject: 'Reset your {{portalName}} password',
    mainText:
      'Hi {{firstName}},\n\nWe received a request to reset the password of your {{portalName}} account. Use the button below to choose a new one. The link works once and expires in {{expiresInMinutes}} minutes.',
    sample: { firstName: 'Ada', resetUrl: sampleUrl('/reset-password#token=sample-token'), expiresInMinutes: 60 },
  },
  'password-changed': {
    label: 'Password changed',
    description: 'Sent after a password was changed or reset, so the owner notices a change they did not make.',
    subject: 'Your {{portalName}} password was changed',
    mainText: 'Hi {{firstName}},\n\nThe password of your {{portalName}} account was just changed, and your other sessions were signed out.',
    sample: { firstName: 'Ada', loginUrl: sampleUrl('/login'), resetUrl: sampleUrl('/forgot-password') },
  },
  'registration-received': {
    label: 'Registration received',
    description: 'Sent to a developer whose registration waits for an administrator.',
    subject: 'We received your registration at {{portalName}}',
    mainText:
      'Hi {{firstName}},\n\nThank you for registering at {{portalName}}. An administrator will review your registration shortly, and we will email you as soon as it has been reviewed.',
    sample: { firstName: 'Ada' },
  },
  'admin-new-registration': {
    label: 'New registration (to admins)',
    description: 'Sent to administrators when a registration waits for their review.',
    subject: 'New registration: {{userName}}',
    mainText: 'Hi {{adminFirstName}},\n\n{{userName}} ({{userEmail}}) registered at {{portalName}} and is waiting for your review.',
    sample: {
      adminFirstName: 'Grace',
      userName: 'Ada Lovelace',
      userEmail: 'ada@example.com',
      userUrl: sampleUrl('/admin/users/00000000-0000-4000-8000-000000000000'),
      answers: { company: 'Analytical Engines Ltd' },
    },
  },
  'admin-new-credential': {
    label: 'New API token or webhook (to admins)',
    description: 'Sent to every administrator when an administrator creates an API token or a webhook endpoint, so an unexpected one is noticed.',
    subject: 'New {{kindLabel}} at {{portalName}}: {{credentialName}}',
    mainText:
      'Hi {{adminFirstName}},\n\n{{actorName}} ({{actorEmail}}) created a new {{kindLabel}} named "{{credentialName}}" at {{portalName}}. It can act on the portal without a password.\n\nIf you did not expect this, check it with {{actorName}} and revoke it if needed.',
    sample: {
      adminFirstName: 'Grace',
      kindLabel: 'API token',
      credentialName: 'CRM sync',
      actorName: 'Ada Lovelace',
      actorEmail: 'ada@example.com',
      managePath: '/admin/settings/api-tokens',
    },
  },
  'account-activated': {
    label: 'Account activated',
    description: 'Sent when an administrator approves a registration (or activates an account again).',
    subject: 'Your {{portalName}} account is active',
    mainText: 'Hi {{firstName}},\n\nGood news: your {{portalName}} account is now active. You can log in with your email address and password.',
    sample: { firstName: 'Ada', loginUrl: sampleUrl('/login') },
  },
  'registration-rejected': {
    label: 'Registration declined',
    description: 'Sent when an administrator rejects a registration. Shows the reason when one was given.',
    subject: 'Your registration at {{portalName}}',
    mainText: 'Hi {{firstName}},\n\nThank you for your interest in {{portalName}}. After review, an administrator has declined your registration.',
    sample: { firstName: 'Ada', reason: 'We only accept registrations from partner companies.' },
  },
  welcome: {
    label: 'Welcome',
    description: 'Sent when an account is ready to use at once (auto-approved registration or an account created by an admin).',
    subject: 'Welcome to {{portalName}}',
    mainText: 'Hi {{firstName}},\n\nWelcome to {{portalName}}! Your account is ready to use.',
    sample: { firstName: 'Ada', loginUrl: sampleUrl('/login') },
  },
  'signup-attempt-existing': {
    label: 'Sign-up with an existing address',
    description: 'Sent instead of a registration email when someone signs up with an address that already has an account.',
    subject: 'Someone tried to register at {{portalName}} with your address',
    mainText:
      'Hi {{firstName}},\n\nSomeone (hopefully you) tried to register at {{portalName}} with this email address, which already has an account. There is nothing new to set up: you can simply log in.',
    sample: { firstName: 'Ada', loginUrl: sampleUrl('/login'), resetUrl: sampleUrl('/forgot-password') },
  },
  invite: {
    label: 'Invitation',
    description: 'Sent when an administrator invites someone. Carries a single-use link to set a password.',
    subject: '{{inviterName}} invited you to {{portalName}}',
    mainText:
      'Hi {{firstName}},\n\n{{inviterName}} has invited you to join {{portalName}}. Accept the invitation to set your password and start using your account.',
    sample: { firstName: 'Ada', inviterName: 'Grace Hopper', acceptUrl: sampleUrl('/invite#token=sample-token'), expiresAt: '2030-01-08T10:00:00.000Z' },
  },
  'verify-email': {
    label: 'Verify email address',
    description: 'Sent after a self-registration while "Require email verification" is on. Carries a single-use link; nothing is decided until it is used.',
    subject: 'Verify your email address for {{portalName}}',
    mainText:
      'Hi {{firstName}},\n\nThank you for registering at {{portalName}}. Please confirm that this address is yours: open the link below and press the button on the page.',
    sample: { firstName: 'Ada', verifyUrl: sampleUrl('/verify-email#token=sample-token'), expiresInHours: 24 },
  },
  'invite-waiting': {
    label: 'Invitation waiting',
    description:
      'Sent when someone tries to log in with an address that has an invitation not yet accepted. Carries a fresh link when the old one has expired.',
    subject: 'Your invitation to {{portalName}} is waiting',
    mainText:
      'Hi {{firstName}},\n\nSomeone (hopefully you) tried to log in to {{portalName}} with this address. Your account has not been set up yet: accept your invitation to choose a password.',
    sample: { firstName: 'Ada', acceptUrl: sampleUrl('/invite#token=sample-token'), expiresAt: '2030-01-08T10:00:00.000Z', earlierLinkExpiresAt: null },
  },
  'account-created': {
    label: 'Account created (by an admin)',
    description: 'Sent when an administrator adds a user with a password. It never contains the password.',
    subject: 'An account was created for you at {{portalName}}',
    mainText:
      'Hi {{firstName}},\n\nAn administrator created a {{portalName}} account for you ({{email}}). The administrator will give you your password; you may be asked to choose a new one when you first log in.',
    sample: { firstName: 'Ada', email: 'ada@example.com', loginUrl: sampleUrl('/login') },
  },
  'registration-reconsidered': {
    label: 'Registration reconsidered',
    description: 'Sent, when the admin chooses to, after a declined registration is moved back to the pending queue.',
    subject: 'Your registration at {{portalName}} is being reviewed again',
    mainText: 'Hi {{firstName}},\n\nAn administrator at {{portalName}} is reviewing your registration again.',
    sample: { firstName: 'Ada' },
  },
  'account-locked': {
    label: 'Failed logins on your account',
    description:
      'Sent to the owner, once per episode, when failed logins pass the per-account limit (Settings › Security) and logging in starts to require a harder automatic check.',
    subject: 'Failed login attempts on your {{portalName}} account',
    mainText:
      'Hi {{firstName}},\n\nThere have been {{failures}} failed attempts to log in to your {{portalName}} account. Your account is not locked: you can still log in as usual, and this browser check takes a few seconds longer until you do. If these attempts were not yours, nobody got in, but consider choosing a new password.',
    sample: { firstName: 'Ada', failures: 10, resetUrl: sampleUrl('/forgot-password'), loginUrl: sampleUrl('/login') },
  },
  'webhook-disabled': {
    label: 'Webhook endpoint disabled (to admins)',
    description: 'Sent to administrators when the portal disables a webhook endpoint: it answered 410 Gone, or its deliveries kept failing for 5 days.',
    subject: 'Webhook endpoint disabled: {{endpointUrl}}',
    mainText:
      'Hi {{adminFirstName}},\n\n{{portalName}} stopped sending webhooks to {{endpointUrl}}: {{reason}}. Events are no longer queued for it. Check the receiver, enable the endpoint again in Settings › Webhooks, and replay the failed deliveries if they are still wanted.',
    sample: {
      adminFirstName: 'Grace',
      endpointUrl: 'https://hooks.example.com/admit',
      reason: 'its deliveries kept failing for 5 days',
      webhookUrl: sampleUrl('/admin/settings/webhooks/00000000-0000-4000-8000-000000000000'),
    },
  },
};

/** Variables every template receives from the renderer. */
export const COMMON_VARIABLES = ['portalName', 'publicUrl'] as const;

/** Stands for `{{answers.<key>}}`: a developer's answer to the sign-up field with that key (Settings › Registration form). */
export const ANSWERS_PLACEHOLDER = 'answers.<key>';

/** The placeholders a template's subject and main text may use. */
export function placeholdersOf(template: EmailTemplateName): string[] {
  return [...Object.keys(TEMPLATE_CONTENT[template].sample).map((k) => (k === 'answers' ? ANSWERS_PLACEHOLDER : k)), ...COMMON_VARIABLES];
}
