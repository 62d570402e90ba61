export const USER_ROLES = ['admin', 'developer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** `unverified`: a self-registration whose owner has not yet followed the emailed verification link. */
export const USER_STATUSES = ['pending', 'active', 'rejected', 'inactive', 'invited', 'unverified'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;
export const NAME_MAX = 100;
export const EMAIL_MAX = 254;

export const SESSION_COOKIE = 'admit_session';
export const DEFAULT_ORGANISATION_NAME = 'Default organisation';
