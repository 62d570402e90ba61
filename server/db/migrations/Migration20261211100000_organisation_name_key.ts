import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 10, item 6: organisation names that differ only by case, Unicode form (NFC/NFKC) or runs of
 * spaces are the same name. `name_key` holds shared/text.ts's nameKey(name), written by the app
 * (the page shows the same rule), and a unique index enforces it. Invisible and direction-override
 * characters are refused by the schema before a name gets here.
 *
 * Existing rows get the key computed in SQL (NFKC, lower-case, spaces collapsed; the same rule for
 * every name the app could have stored). Should two existing names collide under the new rule,
 * the later one keeps a key of its own (suffixed with its id) until an admin renames it.
 */
export class Migration20261211100000_organisation_name_key extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table organisation add column name_key text null;`);
    this.addSql(`update organisation set name_key = lower(regexp_replace(btrim(normalize(name, NFKC)), '\\s+', ' ', 'g'));`);
    this.addSql(`update organisation o set name_key = o.name_key || ' #' || o.id
      where exists (select 1 from organisation p where p.name_key = o.name_key and (p.created_at, p.id) < (o.created_at, o.id));`);
    this.addSql(`alter table organisation alter column name_key set not null;`);
    this.addSql(`create unique index organisation_name_key_unique on organisation (name_key);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists organisation_name_key_unique;`);
    this.addSql(`alter table organisation drop column if exists name_key;`);
  }
}
