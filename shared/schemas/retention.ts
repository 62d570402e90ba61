import * as z from 'zod/mini';

/** Bounds of a retention period in days (one day to ten years). */
export const RETENTION_MIN_DAYS = 1;
export const RETENTION_MAX_DAYS = 3650;

const days = z.int().check(z.gte(RETENTION_MIN_DAYS, { error: 'At least 1 day' }), z.lte(RETENTION_MAX_DAYS, { error: 'At most 3,650 days (ten years)' }));

/** Settings > General > Data retention (admin.settings.retention): how long old rows are kept before the purge job deletes them. */
export const retentionSettingsSchema = z.object({
  /** Messages delivered to the built-in mailbox. */
  mailboxRetentionDays: days,
  /** Outbox rows of emails that were sent (pending and failed ones are kept). */
  sentOutboxRetentionDays: days,
  /** Domain events (the history of every user); null keeps them forever. */
  eventRetentionDays: z.nullable(days),
});
export type RetentionSettings = z.infer<typeof retentionSettingsSchema>;

export const DEFAULT_RETENTION_SETTINGS: RetentionSettings = {
  mailboxRetentionDays: 30,
  sentOutboxRetentionDays: 30,
  eventRetentionDays: null,
};
