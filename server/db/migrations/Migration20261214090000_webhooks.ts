import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 15, item 1: Standard Webhooks.
 * - webhook_endpoint: where to send, which event types, the signing secret encrypted with
 *   APP_SECRET_KEY (AES-256-GCM; server/webhooks/secret-box.ts), and the previous secret during a
 *   rotation's grace period.
 * - webhook_delivery: the outbox of webhooks, one row per (event, endpoint), written in the
 *   event's transaction (events/webhook-fanout.ts); the worker claims due rows with leases.
 *   A replay is a new row with the same message_id (the webhook-id header).
 */
export class Migration20261214090000_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table webhook_endpoint (
      id uuid primary key,
      url varchar(2000) not null,
      description varchar(200) not null default '',
      event_types jsonb not null,
      enabled boolean not null default true,
      disabled_reason text null,
      secret_enc text not null,
      previous_secret_enc text null,
      previous_secret_expires_at timestamptz null,
      failing_since timestamptz null,
      created_by_id uuid null,
      version int not null default 1,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create table webhook_delivery (
      id bigserial primary key,
      endpoint_id uuid not null,
      message_id varchar(64) not null,
      event_id bigint null,
      event_type varchar(100) not null,
      user_id uuid null,
      payload jsonb not null,
      status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
      attempts int not null default 0,
      max_attempts int not null default 10,
      next_attempt_at timestamptz not null,
      locked_until timestamptz null,
      last_attempt_at timestamptz null,
      response_status int null,
      response_body text null,
      latency_ms int null,
      last_error text null,
      replay_of bigint null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      constraint webhook_delivery_endpoint_id_foreign foreign key (endpoint_id) references webhook_endpoint (id) on update cascade on delete cascade
    );`);
    // The worker's claim: due pending rows, and per endpoint the oldest one not yet tried.
    this.addSql(`create index webhook_delivery_due_idx on webhook_delivery (next_attempt_at) where status = 'pending';`);
    this.addSql(`create index webhook_delivery_endpoint_idx on webhook_delivery (endpoint_id, id);`);
    this.addSql(`create index webhook_delivery_user_idx on webhook_delivery (user_id) where user_id is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists webhook_delivery;`);
    this.addSql(`drop table if exists webhook_endpoint;`);
  }
}
