import { Migration } from '@mikro-orm/migrations';

/**
 * Sessions after Lucia (issue 10, item 8): user_session keeps only the SHA-256 (hex) of the
 * cookie's token, with an idle and an absolute expiry, last-seen time, IP and user agent.
 * The table is replaced: the old rows hold raw session ids that no longer validate, so every
 * existing session ends with this migration and everyone logs in again once.
 */
export class Migration20261203120000_session_hashes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop table if exists user_session;`);
    this.addSql(`create table user_session (
      id char(64) primary key,
      user_id uuid not null constraint user_session_user_id_foreign references app_user (id) on update cascade on delete cascade,
      created_at timestamptz not null,
      last_seen_at timestamptz not null,
      expires_at timestamptz not null,
      absolute_expires_at timestamptz not null,
      ip varchar(64) not null default '',
      user_agent varchar(300) not null default '',
      constraint user_session_id_is_sha256 check (id ~ '^[0-9a-f]{64}$'),
      constraint user_session_expiry_order check (expires_at <= absolute_expires_at)
    );`);
    this.addSql(`create index user_session_user_idx on user_session (user_id, last_seen_at desc);`);
    this.addSql(`create index user_session_expires_idx on user_session (expires_at);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists user_session;`);
    this.addSql(`create table user_session (
      id varchar(255) primary key,
      user_id uuid not null constraint user_session_user_id_foreign references app_user (id) on update cascade on delete cascade,
      expires_at timestamptz not null,
      created_at timestamptz not null
    );`);
    this.addSql(`create index user_session_user_idx on user_session (user_id);`);
  }
}
