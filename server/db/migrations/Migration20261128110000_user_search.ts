import { Migration } from '@mikro-orm/migrations';

/**
 * Search in API Consumers > Users matches a substring of "first last email". A trigram GIN index
 * keeps that fast at a million users. pg_trgm ships with PostgreSQL (contrib) and is a trusted
 * extension, but a role without CREATE on the database cannot add it: then the index is skipped and
 * search still works, by scanning.
 */
export class Migration20261128110000_user_search extends Migration {
  override async up(): Promise<void> {
    this.addSql(`do $$
begin
  begin
    create extension if not exists pg_trgm;
  exception when insufficient_privilege or undefined_file then
    raise notice 'pg_trgm is not available; user search will not be indexed';
  end;
  if exists (select 1 from pg_extension where extname = 'pg_trgm') then
    create index if not exists app_user_search_trgm on app_user
      using gin ((lower(first_name || ' ' || last_name || ' ' || email)) gin_trgm_ops);
  end if;
end $$;`);
  }

  override async down(): Promise<void> {
    // The extension stays: other objects may use it, and it costs nothing unused.
    this.addSql(`drop index if exists app_user_search_trgm;`);
  }
}
