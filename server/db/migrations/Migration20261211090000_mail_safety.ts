import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 10, item 7 (outbound mail cannot be turned into a weapon):
 * - `email_suppression`: addresses no email goes to (an admin added them, or SMTP refused them
 *   for good with a 5xx to RCPT TO), except the one the person asked for that moment
 *   (emails/templates.ts, EMAIL_DELIVERY_POLICY). Keyed by the lower-cased address.
 * - outbox rows held back by that list or by the per-recipient cap keep status 'suppressed', with
 *   the reason in last_error, so an admin can see why a mail did not go.
 * - the per-recipient cap counts recent outbox rows by lower(to_address): an index for that count.
 */
export class Migration20261211090000_mail_safety extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table email_suppression (
      address varchar(254) primary key,
      reason text not null,
      source text not null check (source in ('admin', 'bounce')),
      created_by_id uuid null,
      created_at timestamptz not null
    );`);
    this.addSql(`alter table email_outbox drop constraint if exists email_outbox_status_check;`);
    this.addSql(`alter table email_outbox add constraint email_outbox_status_check check (status in ('pending', 'sent', 'failed', 'suppressed'));`);
    this.addSql(`create index email_outbox_recipient_idx on email_outbox (lower(to_address), created_at);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists email_outbox_recipient_idx;`);
    this.addSql(`update email_outbox set status = 'failed' where status = 'suppressed';`);
    this.addSql(`alter table email_outbox drop constraint if exists email_outbox_status_check;`);
    this.addSql(`alter table email_outbox add constraint email_outbox_status_check check (status in ('pending', 'sent', 'failed'));`);
    this.addSql(`drop table if exists email_suppression;`);
  }
}
