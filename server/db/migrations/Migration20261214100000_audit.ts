import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 15, item 2: Forget. (The audit log's indexes are built concurrently by the next migration,
 * Migration20261214100001_audit_indexes.)
 * - terms_acceptance stays append-only except for one change: Forget may blank the IP address and
 *   user agent of a row (its skeleton, who accepted which version when, stays).
 */
export class Migration20261214100000_audit extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function admit_terms_acceptance_redact_only() returns trigger language plpgsql as $$
      begin
        if new.id = old.id and new.user_id = old.user_id and new.version_id = old.version_id and new.accepted_at = old.accepted_at
           and new.ip = '' and new.user_agent = '' then
          return new;
        end if;
        raise exception '% is append-only', tg_table_name;
      end $$;`);
    this.addSql(`drop trigger if exists terms_acceptance_append_only on terms_acceptance;`);
    this.addSql(
      `create trigger terms_acceptance_append_only before update on terms_acceptance for each row execute function admit_terms_acceptance_redact_only();`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists terms_acceptance_append_only on terms_acceptance;`);
    this.addSql(`create trigger terms_acceptance_append_only before update on terms_acceptance for each row execute function admit_refuse_change();`);
    this.addSql(`drop function if exists admit_terms_acceptance_redact_only();`);
    for (const i of [
      'domain_event_user_snapshot_trgm',
      'domain_event_organisation_idx',
      'domain_event_created_idx',
      'domain_event_type_idx',
      'domain_event_actor_idx',
    ]) {
      this.addSql(`drop index if exists ${i};`);
    }
  }
}
