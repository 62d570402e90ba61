/** Machine-readable reasons carried in error.data.reason, so pages can react without parsing messages. */
export const ERROR_REASONS = [
  'INVALID_CREDENTIALS',
  'ACCOUNT_PENDING',
  'ACCOUNT_REJECTED',
  'ACCOUNT_INACTIVE',
  'ACCOUNT_INVITED',
  'ACCOUNT_UNVERIFIED',
  'PASSWORD_CHANGE_REQUIRED',
  'TERMS_ACCEPTANCE_REQUIRED',
  'FORM_CHANGED',
  'INVALID_ANSWERS',
  'SETUP_DONE',
  'SIGNUP_DISABLED',
  'RATE_LIMITED',
  'EMAIL_TAKEN',
  'USER_CHANGED',
  /** The organisation's version is not the one the caller read (REST If-Match: 412). */
  'ORGANISATION_CHANGED',
  /** The general settings changed since the caller read them (REST If-Match: 412). */
  'SETTINGS_CHANGED',
  'NOT_FOUND',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_USED',
  'LAST_ADMIN',
  'ORIGIN_REJECTED',
  'CONFLICT',
  'NAME_TAKEN',
  'ORGANISATION_NOT_EMPTY',
  'ORGANISATION_IS_DEFAULT',
  'SAME_PASSWORD',
  'INVITE_NOT_ALLOWED',
  'INVITE_PENDING',
  'TOKEN_REVOKED',
  'INVALID_TRANSITION',
  'SELF_ACTION',
  'INVALID_CURSOR',
  'UNKNOWN_PLACEHOLDER',
  'NOT_RETRYABLE',
  'BOT_CHECK_FAILED',
  'CHALLENGE_REQUIRED',
  'EMAIL_DOMAIN_REFUSED',
  'WEAK_PASSWORD',
  'DATABASE_UNAVAILABLE',
  /** A sensitive admin change needs the password confirmed again (older than 10 minutes): auth.confirmPassword. */
  'REAUTH_REQUIRED',
  'WEBHOOKS_UNAVAILABLE',
  'WEBHOOK_ADDRESS_REFUSED',
] as const;
export type ErrorReason = (typeof ERROR_REASONS)[number];

/** Shape of `error.data` as the server's error formatter sends it. */
export interface AppErrorData {
  code: string;
  httpStatus: number;
  path?: string;
  reason?: ErrorReason;
  /** Field name → first message, for zod validation errors and field-specific domain errors. */
  fieldErrors?: Record<string, string>;
  /** Extra details a page may show, e.g. the current state after a conflict. */
  details?: Record<string, unknown>;
}
