/**
 * The emails Admit sends: each template's variables (typed) and which of them carry secrets
 * (links with raw tokens). The outbox removes secret variables once the email has been sent.
 * `portalName` and `publicUrl` are added to every template by the renderer.
 */
export interface EmailTemplateVariables {
  'password-reset': { firstName: string; resetUrl: string; expiresInMinutes: number };
  'password-changed': { firstName: string; loginUrl: string; resetUrl: string };
  'registration-received': { firstName: string };
  'admin-new-registration': { adminFirstName: string; userName: string; userEmail: string; userUrl: string };
  'account-activated': { firstName: string; loginUrl: string };
  'registration-rejected': { firstName: string; reason: string | null };
  welcome: { firstName: string; loginUrl: string };
  'signup-attempt-existing': { firstName: string; loginUrl: string; resetUrl: string };
  invite: { firstName: string; inviterName: string; acceptUrl: string; expiresAt: string };
}
export type EmailTemplateName = keyof EmailTemplateVariables;

export const SECRET_VARIABLES: { [K in EmailTemplateName]: (keyof EmailTemplateVariables[K])[] } = {
  'password-reset': ['resetUrl'],
  'password-changed': [],
  'registration-received': [],
  'admin-new-registration': [],
  'account-activated': [],
  'registration-rejected': [],
  welcome: [],
  'signup-attempt-existing': [],
  invite: ['acceptUrl'],
};

export const EMAIL_TEMPLATE_NAMES = Object.keys(SECRET_VARIABLES) as EmailTemplateName[];
