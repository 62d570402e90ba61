import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 12, items 2 and 3.
 * - registration_form: the sign-up fields an admin defines, one row per published version
 *   (shared/registration-form.ts describes `fields`). The newest row is the form.
 * - app_user.registration_answers / registration_form_version: what the developer answered, and
 *   which version of the form they saw (its labels read the answers even after a field is removed).
 * - terms_version: published terms (immutable: a trigger refuses updates and deletes).
 * - terms_acceptance: append-only evidence (user, version, time, IP, user agent); a trigger refuses
 *   updates. Rows go only with their user (on delete cascade).
 */
export class Migration20261213090000_registration_form_terms extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table registration_form (
      version int primary key,
      fields jsonb not null,
      created_at timestamptz not null,
      created_by uuid null references app_user (id) on delete set null
    );`);
    this.addSql(`alter table app_user add column registration_answers jsonb null, add column registration_form_version int null;`);

    this.addSql(`create table terms_version (
      id int primary key,
      title varchar(200) not null,
      body text null,
      url varchar(2000) null,
      must_reaccept boolean not null default false,
      created_at timestamptz not null,
      created_by uuid null references app_user (id) on delete set null,
      check ((body is null) <> (url is null))
    );`);
    this.addSql(`create table terms_acceptance (
      id bigserial primary key,
      user_id uuid not null references app_user (id) on delete cascade,
      version_id int not null references terms_version (id),
      accepted_at timestamptz not null,
      ip text not null,
      user_agent text not null
    );`);
    this.addSql(`create index terms_acceptance_user_idx on terms_acceptance (user_id, version_id);`);
    this.addSql(`create or replace function admit_refuse_change() returns trigger language plpgsql as $$
      begin raise exception '% is append-only', tg_table_name; end $$;`);
    this.addSql(
      `create trigger terms_version_immutable before update of id, title, body, url, must_reaccept, created_at or delete on terms_version for each row execute function admit_refuse_change();`,
    );
    this.addSql(`create trigger terms_acceptance_append_only before update on terms_acceptance for each row execute function admit_refuse_change();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists terms_acceptance;`);
    this.addSql(`drop table if exists terms_version;`);
    this.addSql(`drop function if exists admit_refuse_change();`);
    this.addSql(`alter table app_user drop column if exists registration_answers, drop column if exists registration_form_version;`);
    this.addSql(`drop table if exists registration_form;`);
  }
}
