import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 15, item 2: the audit log and Forget.
 * - domain_event indexes for the audit log's filters: by actor, by action, by organisation (the
 *   organisation an event is about: organisation.* events name it, user events carry it in their
 *   snapshot) and by time (also what the retention purge selects by). Each ends in id so a keyset
 *   page (id < cursor, newest first) reads in index order.
 * - the snapshots' name and email are searched by substring (actor or target typed as a name or an
 *   email, deleted people included): a trigram index when pg_trgm is available, as for app_user.
 * - terms_acceptance stays append-only except for one change: Forget may blank the IP address and
 *   user agent of a row (its skeleton, who accepted which version when, stays).
 */
export class Migration20261214100000_audit extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index if not exists domain_event_actor_idx on domain_event (actor_id, id) where actor_id is not null;`);
    this.addSql(`create index if not exists domain_event_type_idx on domain_event (type, id);`);
    this.addSql(`create index if not exists domain_event_created_idx on domain_event (created_at, id);`);
    this.addSql(
      `create index if not exists domain_event_organisation_idx on domain_event ((coalesce(data->'organisation'->>'id', data->'user'->>'organisationId')), id);`,
    );
    this.addSql(`do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_trgm') then
    create index if not exists domain_event_user_snapshot_trgm on domain_event using gin ((lower(coalesce(data->'user'->>'firstName', '') || ' ' || coalesce(data->'user'->>'lastName', '') || ' ' || coalesce(data->'user'->>'email', ''))) gin_trgm_ops)
      where user_id is not null;
  end if;
end $$;`);
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
