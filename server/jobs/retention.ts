import type { EntityManager } from '@mikro-orm/postgresql';
import { readRetentionSettings } from '../settings/retention-settings.service.js';
import type { Job } from './scheduler.js';

/** Rows deleted per statement: short transactions, short row locks. */
export const PURGE_BATCH = 1000;
const DAY_MS = 24 * 3_600_000;

/**
 * Deletes, in batches of `batch`, the rows `select` picks (a `select id … limit ?` with the cutoff
 * as its first parameter); each batch is its own statement and commits on its own. Once `signal`
 * is aborted (shutdown) it stops before the next batch; the rest goes at the job's next turn.
 */
export async function purgeInBatches(
  em: () => EntityManager,
  table: string,
  select: string,
  cutoff: Date,
  batch = PURGE_BATCH,
  signal?: AbortSignal,
): Promise<number> {
  let total = 0;
  for (;;) {
    if (signal?.aborted) return total;
    const rows = await em().execute<{ id: string }[]>(`delete from ${table} where id in (${select}) returning id`, [cutoff, batch]);
    total += rows.length;
    if (rows.length < batch) return total;
  }
}

/**
 * Data retention (Settings > General > Data retention): delivered mailbox messages and sent outbox
 * rows older than their setting go (succeeded webhook deliveries with the sent outbox rows); domain
 * events only when a period is set (default: forever). Pending and failed outbox rows and webhook
 * deliveries are never purged here.
 */
export function retentionJob(opts: { intervalMs?: number; batch?: number } = {}): Job {
  return {
    name: 'retention',
    intervalMs: opts.intervalMs ?? 60 * 60_000,
    async run({ em, now, signal }) {
      const s = await readRetentionSettings(em());
      const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
      const batch = opts.batch ?? PURGE_BATCH;
      const mailbox = await purgeInBatches(
        em,
        'mailbox_message',
        `select id from mailbox_message where created_at < ? order by id limit ?`,
        before(s.mailboxRetentionDays),
        batch,
        signal,
      );
      const outbox = await purgeInBatches(
        em,
        'email_outbox',
        `select id from email_outbox where status = 'sent' and sent_at < ? order by id limit ?`,
        before(s.sentOutboxRetentionDays),
        batch,
        signal,
      );
      // Webhook deliveries that succeeded follow the sent-outbox period; failed ones stay (they may be replayed).
      const webhooks = await purgeInBatches(
        em,
        'webhook_delivery',
        `select id from webhook_delivery where status = 'succeeded' and last_attempt_at < ? order by id limit ?`,
        before(s.sentOutboxRetentionDays),
        batch,
        signal,
      );
      const events =
        s.eventRetentionDays === null
          ? 0
          : await purgeInBatches(
              em,
              'domain_event',
              `select id from domain_event where created_at < ? order by id limit ?`,
              before(s.eventRetentionDays),
              batch,
              signal,
            );
      return { mailboxMessages: mailbox, sentOutboxRows: outbox, deliveredWebhooks: webhooks, domainEvents: events };
    },
  };
}
