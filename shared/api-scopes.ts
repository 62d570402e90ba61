/**
 * What an API token may do (Settings › API tokens; the REST API at /api/v1). Every OpenAPI
 * operation declares exactly one of these; a token carries a subset chosen when it is created.
 */
export const API_SCOPES = [
  'users:read',
  'users:write',
  'invites:write',
  'organisations:read',
  'organisations:write',
  'settings:read',
  'settings:write',
  'events:read',
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** What each scope allows, in words (the token form shows it next to the checkbox). */
export const API_SCOPE_DESCRIPTIONS: Record<ApiScope, string> = {
  'users:read': 'List and read users',
  'users:write': 'Create, change, activate, reject, deactivate and delete users',
  'invites:write': 'Send, resend and revoke invites',
  'organisations:read': 'List and read organisations',
  'organisations:write': 'Create, rename and delete organisations',
  'settings:read': 'Read settings',
  'settings:write': 'Change settings',
  'events:read': 'Read the domain event feed',
};

/** The prefix every token starts with, so secret scanners and people can recognise one. */
export const API_TOKEN_PREFIX = 'admit_pat_';

export function isApiScope(value: string): value is ApiScope {
  return (API_SCOPES as readonly string[]).includes(value);
}
