import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditEvent, AuditFilter } from '../../shared/schemas/audit.js';
import { describeEvent } from '../../shared/audit.js';

// The audit log's read model over domain_event. People are named from app_user when the account
// still exists, else from the newest snapshot an event about them carried (user.deleted carries the
// last one), so deleted people's history stays readable with their name.

/** The searchable text of a user snapshot in an event's data; the same expression as the trigram index domain_event_user_snapshot_trgm. */
export const SNAPSHOT_SEARCH_SQL = (alias: string) =>
  `lower(coalesce(${alias}.data->'user'->>'firstName', '') || ' ' || coalesce(${alias}.data->'user'->>'lastName', '') || ' ' || coalesce(${alias}.data->'user'->>'email', ''))`;

/** The organisation an event is about; the same expression as the index domain_event_organisation_idx. */
export const EVENT_ORGANISATION_SQL = (alias: string) => `coalesce(${alias}.data->'organisation'->>'id', ${alias}.data->'user'->>'organisationId')`;

/** A LIKE pattern matching `text` anywhere, lower-cased, with LIKE's wildcards escaped. */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The ids of the people whose name or email contains the pattern: accounts as they are, and (for
 * deleted accounts, or earlier names and addresses) the snapshots events carried.
 */
async function peopleMatching(em: EntityManager, text: string): Promise<string[]> {
  const p = containsPattern(text);
  const rows = await em.execute<{ id: string }[]>(
    `select u.id from app_user u where lower(u.first_name || ' ' || u.last_name || ' ' || u.email) like ? escape '\\'
      union
     select s.user_id from domain_event s where s.user_id is not null and ${SNAPSHOT_SEARCH_SQL('s')} like ? escape '\\'`,
    [p, p],
  );
  return rows.map((r) => r.id);
}

/**
 * Organisation ids (as text) whose name contains the pattern: now, as created, or before a rename
 * (organisation.* events, found by the type index; no scan of users' snapshots).
 */
async function organisationsMatching(em: EntityManager, text: string): Promise<string[]> {
  const p = containsPattern(text);
  const rows = await em.execute<{ id: string | null }[]>(
    `select o.id::text as id from organisation o where lower(o.name) like ? escape '\\'
      union
     select s.data->'organisation'->>'id' from domain_event s
      where s.type in ('organisation.created', 'organisation.renamed', 'organisation.deleted')
        and (lower(s.data->'organisation'->>'name') like ? escape '\\' or lower(s.data->>'previousName') like ? escape '\\')`,
    [p, p, p],
  );
  return rows.map((r) => r.id).filter((id): id is string => typeof id === 'string');
}

/** A PostgreSQL array literal of text values (bound as one parameter, cast in SQL). */
const pgArray = (values: string[]) => `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;

/**
 * A filter with its typed names resolved to ids, once per request (a page, or a whole export): the
 * snapshot search reads every event of a matching person, which a keyset loop must not repeat.
 */
export interface ResolvedAuditFilter {
  filter: AuditFilter;
  actorIds: string[] | null;
  targetIds: string[] | null;
  organisationIds: string[] | null;
}

export async function resolveAuditFilter(em: EntityManager, f: AuditFilter): Promise<ResolvedAuditFilter> {
  return {
    filter: f,
    actorIds: f.actor ? await peopleMatching(em, f.actor) : null,
    targetIds: f.target ? await peopleMatching(em, f.target) : null,
    organisationIds: f.organisation ? await organisationsMatching(em, f.organisation) : null,
  };
}

/** The WHERE conditions (joined by and) and their parameters for a resolved filter; `e` is domain_event. */
export function auditConditions(r: ResolvedAuditFilter): { sql: string; params: unknown[] } {
  const f = r.filter;
  const conds: string[] = [];
  const params: unknown[] = [];
  if (r.actorIds) {
    conds.push('e.actor_id = any(?::uuid[])');
    params.push(pgArray(r.actorIds));
  }
  if (r.targetIds) {
    conds.push('e.user_id = any(?::uuid[])');
    params.push(pgArray(r.targetIds));
  }
  if (r.organisationIds) {
    conds.push(`${EVENT_ORGANISATION_SQL('e')} = any(?::text[])`);
    params.push(pgArray(r.organisationIds));
  }
  if (f.action) {
    conds.push('e.type = ?');
    params.push(f.action);
  }
  if (f.from) {
    conds.push('e.created_at >= ?');
    params.push(new Date(f.from));
  }
  if (f.to) {
    conds.push('e.created_at < ?');
    params.push(new Date(f.to));
  }
  return { sql: conds.length ? conds.join(' and ') : 'true', params };
}

const PERSON_NAME = (u: string) => `nullif(trim(coalesce(${u}->>'firstName', '') || ' ' || coalesce(${u}->>'lastName', '')), '')`;

/**
 * Events matching `where`, newest first, with id < beforeId, at most `limit`. The snapshot lookups
 * (lateral) run only for a row whose person has no account any more.
 */
function auditSelect(where: string): string {
  return `select e.id, e.type, e.actor_id, e.user_id, e.data, e.created_at, e.actor_token_id, e.actor_token_name,
       a.id is not null as actor_exists,
       coalesce(nullif(trim(a.first_name || ' ' || a.last_name), ''), ${PERSON_NAME('asnap.u')}) as actor_name,
       coalesce(a.email, asnap.u->>'email') as actor_email,
       t.id is not null as target_exists,
       coalesce(${PERSON_NAME("e.data->'user'")}, nullif(trim(t.first_name || ' ' || t.last_name), ''), ${PERSON_NAME('tsnap.u')}) as target_name,
       coalesce(e.data->'user'->>'email', t.email, tsnap.u->>'email') as target_email,
       ${EVENT_ORGANISATION_SQL('e')} as organisation_id,
       coalesce(e.data->'organisation'->>'name', e.data->'user'->>'organisationName', org.name) as organisation_name
  from domain_event e
  left join app_user a on a.id = e.actor_id
  left join lateral (select s.data->'user' as u from domain_event s
                      where a.id is null and s.user_id = e.actor_id and s.data->'user' is not null order by s.id desc limit 1) asnap on true
  left join app_user t on t.id = e.user_id
  left join lateral (select s.data->'user' as u from domain_event s
                      where t.id is null and e.data->'user' is null and s.user_id = e.user_id and s.data->'user' is not null order by s.id desc limit 1) tsnap on true
  left join organisation org on org.id::text = ${EVENT_ORGANISATION_SQL('e')}
 where ${where} and e.id < ?
 order by e.id desc
 limit ?`;
}

export interface AuditRow {
  id: string | number;
  type: string;
  actor_id: string | null;
  user_id: string | null;
  data: Record<string, unknown> | string;
  created_at: Date | string;
  actor_token_id: string | null;
  actor_token_name: string | null;
  actor_exists: boolean;
  actor_name: string | null;
  actor_email: string | null;
  target_exists: boolean;
  target_name: string | null;
  target_email: string | null;
  organisation_id: string | null;
  organisation_name: string | null;
}

export function auditEventFromRow(r: AuditRow): AuditEvent {
  const data = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown>;
  const actor = r.actor_id ? { id: r.actor_id, name: r.actor_name, email: r.actor_email, deleted: !r.actor_exists } : null;
  const target = r.user_id ? { id: r.user_id, name: r.target_name, email: r.target_email, deleted: !r.target_exists } : null;
  // REST API writes name the token they were made with (domain_event.actor_token_id/name).
  const token = r.actor_token_name ? { id: r.actor_token_id, name: r.actor_token_name } : null;
  return {
    id: Number(r.id),
    type: r.type,
    createdAt: new Date(r.created_at).toISOString(),
    actor,
    target,
    organisation: r.organisation_id ? { id: r.organisation_id, name: r.organisation_name } : null,
    token,
    sentence: describeEvent({ type: r.type, data, actor, target, token }),
    data,
  };
}

/** One page of the audit log: events older than `beforeId` (all when null) matching the filter, newest first. */
export async function auditPage(em: EntityManager, f: ResolvedAuditFilter, beforeId: number | null, limit: number): Promise<AuditEvent[]> {
  const { sql, params } = auditConditions(f);
  const rows = await em.execute<AuditRow[]>(auditSelect(sql), [...params, beforeId ?? Number.MAX_SAFE_INTEGER, limit]);
  return rows.map(auditEventFromRow);
}

/** Events about or by one person, oldest first (a person's data export). */
export async function personEvents(em: EntityManager, userId: string): Promise<AuditEvent[]> {
  const rows = await em.execute<AuditRow[]>(auditSelect('(e.user_id = ? or e.actor_id = ?)'), [userId, userId, Number.MAX_SAFE_INTEGER, 1_000_000]);
  return rows.map(auditEventFromRow).reverse();
}
