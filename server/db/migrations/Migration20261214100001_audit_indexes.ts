import { Migration } from '@mikro-orm/migrations';

/** The audit log's indexes on domain_event (declared on the DomainEvent entity too), by name. */
export const AUDIT_INDEXES: [name: string, definition: string][] = [
  // Filters: by actor, by action, by organisation (organisation.* events name it; user events carry it in their snapshot), by time
  // (also what the retention purge selects by). Each ends in id, so a keyset page (id < cursor, newest first) reads in index order.
  ['domain_event_actor_idx', 'on domain_event (actor_id, id) where actor_id is not null'],
  ['domain_event_type_idx', 'on domain_event (type, id)'],
  ['domain_event_created_idx', 'on domain_event (created_at, id)'],
  ['domain_event_organisation_idx', `on domain_event ((coalesce(data->'organisation'->>'id', data->'user'->>'organisationId')), id)`],
];

/** Substring search of the snapshots' name and email (actor or target typed as a name or an email): needs pg_trgm. */
export const AUDIT_TRGM_INDEX: [name: string, definition: string] = [
  'domain_event_user_snapshot_trgm',
  `on domain_event using gin ((lower(coalesce(data->'user'->>'firstName', '') || ' ' || coalesce(data->'user'->>'lastName', '') || ' ' || coalesce(data->'user'->>'email', ''))) gin_trgm_ops) where user_id is not null`,
];

/**
 * Issue 15, item 2: the audit log's indexes. domain_event is the biggest table, so they are built
 * CONCURRENTLY, outside any transaction (writes go on meanwhile); a build that failed before leaves
 * an invalid index, so each is dropped first if it exists. The trigram index only where pg_trgm is
 * installed (as for app_user's search); without it, snapshot search scans.
 */
export class Migration20261214100001_audit_indexes extends Migration {
  override isTransactional(): boolean {
    return false;
  }

  override async up(): Promise<void> {
    const trgm = (await this.execute(`select 1 as one from pg_extension where extname = 'pg_trgm'`)).length > 0;
    for (const [name, definition] of trgm ? [...AUDIT_INDEXES, AUDIT_TRGM_INDEX] : AUDIT_INDEXES) {
      this.addSql(`drop index concurrently if exists ${name};`);
      this.addSql(`create index concurrently ${name} ${definition};`);
    }
  }

  override async down(): Promise<void> {
    for (const [name] of [...AUDIT_INDEXES, AUDIT_TRGM_INDEX]) this.addSql(`drop index concurrently if exists ${name};`);
  }
}
