import { Migration } from '@mikro-orm/migrations';

/**
 * REST API: ETag/If-Match on organisations and on the general settings, as on users. Each
 * organisation gets a version (bumped by every rename), each setting row one (bumped by every
 * write: settings.repository.ts writeSetting); the general settings' ETag is 1 + the sum of their
 * keys' versions. Expand only: columns with a default, so a process of the previous release keeps
 * working beside this one during a rolling restart (its writes just do not bump the version).
 */
export class Migration20261216150000_organisation_setting_version extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table organisation add column version integer not null default 1;`);
    this.addSql(`alter table setting add column version integer not null default 1;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table organisation drop column if exists version;`);
    this.addSql(`alter table setting drop column if exists version;`);
  }
}
