import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 14, point 4: search at a million users within 20 ms (users.repository.ts, SEARCH_ARMS).
 *
 * One btree per search arm, on exactly the arm's expression, with text_pattern_ops so a
 * `like 'term%'` is a range scan whatever the database's collation; "first last" also carries the
 * columns the list needs (created_at, id, status and the names its LIKE rechecks), so a name
 * shared by thousands of users is read from the index alone. The answers to the sign-up fields
 * keep substring search through a trigram index over their text (only rows that have answers).
 * The trigram index over "first last email" goes: nothing uses it any more, and it was the most
 * expensive index every sign-up had to update.
 *
 * Built with CREATE INDEX CONCURRENTLY, which cannot run in a transaction: this migration runs
 * outside one (isTransactional), so writes go on while the indexes build. Each index is dropped
 * first if a failed run left it half-built (INVALID).
 */
export class Migration20261214120100_user_search_prefix extends Migration {
  override isTransactional(): boolean {
    return false;
  }

  private async hasTrigrams(): Promise<boolean> {
    const rows = await this.execute(`select 1 from pg_extension where extname = 'pg_trgm'`);
    return rows.length > 0;
  }

  override async up(): Promise<void> {
    const index = (name: string, def: string) => {
      this.addSql(`drop index concurrently if exists ${name};`);
      this.addSql(`create index concurrently ${name} on app_user ${def};`);
    };
    index('app_user_email_prefix_idx', `(lower(email) text_pattern_ops)`);
    index('app_user_name_prefix_idx', `(lower(first_name || ' ' || last_name) text_pattern_ops) include (first_name, last_name, created_at, id, status)`);
    index('app_user_last_name_prefix_idx', `(lower(last_name) text_pattern_ops)`);
    index('app_user_domain_prefix_idx', `(lower(split_part(email, '@', 2)) text_pattern_ops)`);
    // The answers' text, lower-cased, as one immutable expression (for the index and the query alike).
    this.addSql(`create or replace function admit_answers_text(answers jsonb) returns text language sql immutable parallel safe
      as $$ select lower(string_agg(value, ' ')) from jsonb_each_text(answers) $$;`);
    if (await this.hasTrigrams()) {
      index('app_user_answers_trgm', `using gin (admit_answers_text(registration_answers) gin_trgm_ops) where registration_answers is not null`);
    }
    this.addSql(`drop index concurrently if exists app_user_search_trgm;`);
  }

  override async down(): Promise<void> {
    for (const name of [
      'app_user_email_prefix_idx',
      'app_user_name_prefix_idx',
      'app_user_last_name_prefix_idx',
      'app_user_domain_prefix_idx',
      'app_user_answers_trgm',
    ]) {
      this.addSql(`drop index concurrently if exists ${name};`);
    }
    this.addSql(`drop function if exists admit_answers_text(jsonb);`);
    if (await this.hasTrigrams()) {
      this.addSql(
        `create index concurrently if not exists app_user_search_trgm on app_user using gin ((lower(first_name || ' ' || last_name || ' ' || email)) gin_trgm_ops);`,
      );
    }
  }
}
