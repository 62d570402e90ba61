import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 12, item 1: email verification. A self-registration waits as `unverified` until its owner
 * follows the emailed link (an auth_token of purpose `email_verify`); `email_verified_at` records
 * when an address was proven. Every user that exists already counts as verified, so nobody is
 * locked out by this migration.
 */
export class Migration20261210090000_email_verification extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table app_user drop constraint if exists app_user_status_check;`);
    this.addSql(
      `alter table app_user add constraint app_user_status_check check (status in ('pending', 'active', 'rejected', 'inactive', 'invited', 'unverified'));`,
    );
    this.addSql(`alter table app_user add column email_verified_at timestamptz null;`);
    this.addSql(`update app_user set email_verified_at = created_at;`);
    this.addSql(`alter table auth_token drop constraint if exists auth_token_purpose_check;`);
    this.addSql(`alter table auth_token add constraint auth_token_purpose_check check (purpose in ('password_reset', 'invite', 'email_verify'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from app_user where status = 'unverified';`);
    this.addSql(`delete from auth_token where purpose = 'email_verify';`);
    this.addSql(`alter table auth_token drop constraint if exists auth_token_purpose_check;`);
    this.addSql(`alter table auth_token add constraint auth_token_purpose_check check (purpose in ('password_reset', 'invite'));`);
    this.addSql(`alter table app_user drop column email_verified_at;`);
    this.addSql(`alter table app_user drop constraint if exists app_user_status_check;`);
    this.addSql(`alter table app_user add constraint app_user_status_check check (status in ('pending', 'active', 'rejected', 'inactive', 'invited'));`);
  }
}
