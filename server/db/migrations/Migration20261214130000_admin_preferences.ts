import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 13: an admin's own preferences. `keyboard_shortcuts` turns the pending review queue's
 * single-key shortcuts on or off (WCAG 2.1.4: character-key shortcuts can be turned off); on by
 * default, so nothing changes for existing admins until they choose.
 */
export class Migration20261214130000_admin_preferences extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table app_user add column keyboard_shortcuts boolean not null default true;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table app_user drop column if exists keyboard_shortcuts;`);
  }
}
