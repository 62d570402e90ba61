/**
 * Every solid-query key of the admin area, in one place: a page that changes data invalidates
 * another page's query by the same key. A user's queries (details, timeline, invites) all start
 * with userKey(id), so invalidating that prefix refreshes the whole user page.
 */

/** Counts per status: the navigation's pending count and the users list's tabs. */
export const STATS_KEY = ['admin', 'stats'] as const;

export const userKey = (id: string) => ['admin', 'user', id] as const;
export const userTimelineKey = (id: string) => [...userKey(id), 'timeline'] as const;
export const invitesKey = (id: string) => [...userKey(id), 'invites'] as const;

export const ORGANISATIONS_KEY = ['admin', 'organisations'] as const;

export const GENERAL_SETTINGS_KEY = ['admin', 'settings', 'general'] as const;
export const EMAIL_SETTINGS_KEY = ['admin', 'settings', 'emails'] as const;

/** The mailbox's list pages (followed by the search text) and its messages. */
export const MAILBOX_KEY = ['admin', 'mail', 'messages'] as const;
export const mailboxMessageKey = (id: number) => [...MAILBOX_KEY, 'message', id] as const;
export const OUTBOX_KEY = ['admin', 'mail', 'outbox'] as const;
/** Admin > Mailbox > Suppressed addresses. */
export const SUPPRESSIONS_KEY = ['admin', 'mail', 'suppressions'] as const;
/** Settings > Emails: the per-recipient cap. */
export const MAIL_CAPS_KEY = [...EMAIL_SETTINGS_KEY, 'caps'] as const;

/** The signed-in admin's own preferences (the review queue's keyboard shortcuts). */
export const PREFERENCES_KEY = ['admin', 'preferences'] as const;

/** Portal › Audit log's pages (followed by the filter). */
export const AUDIT_KEY = ['admin', 'audit'] as const;
/** Settings › General › Data retention (also read by the audit log for its retention note). */
export const RETENTION_SETTINGS_KEY = ['admin', 'settings', 'retention'] as const;

/** Settings › Webhooks: the endpoint list; one endpoint, whose key prefixes its delivery log (invalidating it refreshes both). */
export const WEBHOOKS_KEY = ['admin', 'settings', 'webhooks'] as const;
export const webhookKey = (id: string) => [...WEBHOOKS_KEY, id] as const;
export const webhookDeliveriesKey = (id: string) => [...webhookKey(id), 'deliveries'] as const;
