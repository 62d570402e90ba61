import { Migration } from '@mikro-orm/migrations';

export class Migration20261128000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table organisation (
      id uuid primary key,
      name varchar(120) not null,
      is_default boolean not null default false,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create unique index organisation_name_lower_unique on organisation (lower(name));`);
    // At most one default organisation.
    this.addSql(`create unique index organisation_one_default on organisation (is_default) where is_default;`);
    this.addSql(`insert into organisation (id, name, is_default, created_at, updated_at)
      values (gen_random_uuid(), 'Default organisation', true, now(), now());`);

    this.addSql(`create table app_user (
      id uuid primary key,
      email varchar(254) not null,
      first_name varchar(100) not null,
      last_name varchar(100) not null,
      organisation_id uuid not null constraint app_user_organisation_id_foreign references organisation (id) on update cascade on delete restrict,
      role text not null default 'developer' check (role in ('admin', 'developer')),
      status text not null check (status in ('pending', 'active', 'rejected', 'inactive', 'invited')),
      password_hash text null,
      must_change_password boolean not null default false,
      rejection_reason varchar(500) null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      version int not null default 1
    );`);
    this.addSql(`create unique index app_user_email_lower_unique on app_user (lower(email));`);
    this.addSql(`create index app_user_organisation_idx on app_user (organisation_id);`);
    // Keyset pagination: newest first, per status and overall.
    this.addSql(`create index app_user_status_created_idx on app_user (status, created_at desc, id desc);`);
    this.addSql(`create index app_user_created_idx on app_user (created_at desc, id desc);`);

    this.addSql(`create table user_session (
      id varchar(255) primary key,
      user_id uuid not null constraint user_session_user_id_foreign references app_user (id) on update cascade on delete cascade,
      expires_at timestamptz not null,
      created_at timestamptz not null
    );`);
    this.addSql(`create index user_session_user_idx on user_session (user_id);`);

    this.addSql(`create table setting (
      key varchar(100) primary key,
      value jsonb not null,
      updated_at timestamptz not null
    );`);

    this.addSql(`create table domain_event (
      id bigserial primary key,
      type varchar(64) not null,
      actor_id uuid null,
      user_id uuid null,
      data jsonb not null,
      created_at timestamptz not null
    );`);
    this.addSql(`create index domain_event_user_idx on domain_event (user_id, id);`);

    this.addSql(`create table email_outbox (
      id bigserial primary key,
      template varchar(64) not null,
      to_address varchar(254) not null,
      variables jsonb not null,
      status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
      attempts int not null default 0,
      max_attempts int not null default 8,
      next_attempt_at timestamptz not null,
      locked_until timestamptz null,
      last_error text null,
      message_id varchar(255) null,
      subject varchar(300) null,
      user_id uuid null,
      sent_at timestamptz null,
      created_at timestamptz not null,
      updated_at timestamptz not null
    );`);
    this.addSql(`create index email_outbox_due_idx on email_outbox (next_attempt_at) where status = 'pending';`);

    this.addSql(`create table mailbox_message (
      id bigserial primary key,
      outbox_id bigint null,
      template varchar(64) not null,
      from_address varchar(300) not null,
      to_address varchar(254) not null,
      subject varchar(300) not null,
      html text not null,
      text text not null,
      created_at timestamptz not null
    );`);

    this.addSql(`create table auth_token (
      id uuid primary key,
      user_id uuid not null constraint auth_token_user_id_foreign references app_user (id) on update cascade on delete cascade,
      purpose text not null check (purpose in ('password_reset', 'invite')),
      token_hash varchar(64) not null unique,
      expires_at timestamptz not null,
      used_at timestamptz null,
      revoked_at timestamptz null,
      opened_at timestamptz null,
      created_by_id uuid null,
      outbox_id bigint null,
      created_at timestamptz not null
    );`);
    this.addSql(`create index auth_token_user_idx on auth_token (user_id, purpose, created_at desc);`);
  }

  override async down(): Promise<void> {
    for (const t of ['auth_token', 'mailbox_message', 'email_outbox', 'domain_event', 'setting', 'user_session', 'app_user', 'organisation']) {
      this.addSql(`drop table if exists ${t} cascade;`);
    }
  }
}
