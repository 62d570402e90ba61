import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 15, item 4 (API tokens) and re-authentication.
 * - api_token: an admin's personal token for the REST API. Only the SHA-256 (hex) of the token is
 *   stored; the token itself is shown once. Scopes, optional expiry, revocation, last use (time and
 *   address, written at most once a minute). Goes with its owner (on delete cascade).
 * - domain_event.actor_token_id / actor_token_name: the token a change was made with (the name is
 *   copied, so the history still reads after the token is revoked or its owner deleted).
 * - user_session.password_checked_at: when this session last proved the password (login, or the
 *   re-authentication prompt); sensitive admin changes need it to be recent.
 * Only additions (expand/contract): older processes ignore the new columns.
 */
export class Migration20261214110000_api_tokens extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table api_token (
      id uuid primary key,
      user_id uuid not null,
      name varchar(100) not null,
      token_hash varchar(64) not null,
      scopes text[] not null,
      created_at timestamptz not null,
      expires_at timestamptz null,
      revoked_at timestamptz null,
      revoked_by_id uuid null,
      last_used_at timestamptz null,
      last_used_ip varchar(64) null
    );`);
    this.addSql(`alter table api_token add constraint api_token_token_hash_unique unique (token_hash);`);
    this.addSql(
      `alter table api_token add constraint api_token_user_id_foreign foreign key (user_id) references app_user (id) on update cascade on delete cascade;`,
    );
    this.addSql(`create index api_token_user_id_index on api_token (user_id);`);
    this.addSql(`alter table domain_event add column actor_token_id uuid null, add column actor_token_name varchar(100) null;`);
    this.addSql(`alter table user_session add column password_checked_at timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table user_session drop column if exists password_checked_at;`);
    this.addSql(`alter table domain_event drop column if exists actor_token_id, drop column if exists actor_token_name;`);
    this.addSql(`drop table if exists api_token;`);
  }
}
