import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 11, items 10 and 12:
 * - outbox retries span 24 hours (server/mail/retry-schedule.ts: 31 attempts); rows still waiting
 *   with the old default of 8 get the new one.
 * - retention purges (server/jobs/retention.ts) find old delivered mailbox messages and old sent
 *   outbox rows by index.
 */
export class Migration20261212090000_outbox_leases_retention extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table email_outbox alter column max_attempts set default 31;`);
    this.addSql(`update email_outbox set max_attempts = 31 where status = 'pending' and max_attempts = 8;`);
    this.addSql(`create index if not exists mailbox_message_created_idx on mailbox_message (created_at);`);
    this.addSql(`create index if not exists email_outbox_sent_idx on email_outbox (sent_at) where status = 'sent';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists email_outbox_sent_idx;`);
    this.addSql(`drop index if exists mailbox_message_created_idx;`);
    this.addSql(`alter table email_outbox alter column max_attempts set default 8;`);
  }
}
