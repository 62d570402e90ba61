import type { EntityManager } from '@mikro-orm/postgresql';
import type { DomainEventDto, DomainEventType } from '../../shared/events.js';
import { validAdminSessionIdsSql } from '../sessions/sessions.repository.js';
import { USER_COUNTS_JSON_SQL } from './user-counts.js';

/** Event types the admin dashboard streams: everything about users, invites and settings (not email.* or organisation.*). */
export function isLiveEventType(type: string): boolean {
  return type.startsWith('user.') || type.startsWith('invite.') || type === 'settings.changed';
}
const LIVE_TYPES_SQL = `(e.type like 'user.%' or e.type like 'invite.%' or e.type = 'settings.changed')`;

export interface EventRow {
  id: string | number;
  type: string;
  actor_id: string | null;
  user_id: string | null;
  data: unknown;
  created_at: Date | string;
  actor_name: string | null;
}

/** The select list shared by the listener (raw pg) and the replay (MikroORM); the actor's name is resolved here. */
const SELECT_EVENTS = `select e.id, e.type, e.actor_id, e.user_id, e.data, e.created_at,
       nullif(trim(coalesce(a.first_name, '') || ' ' || coalesce(a.last_name, '')), '') as actor_name
  from domain_event e left join app_user a on a.id = e.actor_id`;

/** Events with id > $1, all types, oldest first, at most $2 of them (pg placeholders: the listener's own connection). */
export const EVENTS_AFTER_SQL = `${SELECT_EVENTS} where e.id > $1 order by e.id limit $2`;

/**
 * EVENTS_AFTER_SQL plus, in the same snapshot, the per-status user counts (user-counts.ts): with a
 * complete batch, they are the counts right after its last event.
 */
export const EVENTS_AFTER_WITH_COUNTS_SQL = `select
    coalesce((select json_agg(x order by x.id) from (${EVENTS_AFTER_SQL}) x), '[]'::json) as events,
    ${USER_COUNTS_JSON_SQL} as counts`;

/**
 * EVENTS_AFTER_WITH_COUNTS_SQL plus, in the same snapshot, which of the sessions in $3 are still
 * valid admin sessions: one round trip loads a batch and re-checks every subscriber it is for.
 */
export const EVENTS_AFTER_WITH_SESSIONS_SQL = `${EVENTS_AFTER_WITH_COUNTS_SQL},
    coalesce((select array_agg(v.id) from (${validAdminSessionIdsSql('$3')}) v), '{}'::text[]) as valid`;

/** The listener's starting point: the newest event id and, in the same snapshot, the counts right after it. */
export const START_POSITION_SQL = `select (select max(id) from domain_event) as max, ${USER_COUNTS_JSON_SQL} as counts`;

export function toEventDto(r: EventRow): DomainEventDto {
  return {
    id: Number(r.id),
    type: r.type as DomainEventType,
    actorId: r.actor_id,
    actorName: r.actor_name,
    userId: r.user_id,
    data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as DomainEventDto['data'],
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/** Dashboard events with afterId < id <= upToId, oldest first, at most `limit` (the replay of a resuming subscription). */
export async function loadLiveEventsBetween(em: EntityManager, afterId: number, upToId: number, limit: number): Promise<DomainEventDto[]> {
  const rows = await em.execute<EventRow[]>(`${SELECT_EVENTS} where e.id > ? and e.id <= ? and ${LIVE_TYPES_SQL} order by e.id limit ?`, [
    afterId,
    upToId,
    limit,
  ]);
  return rows.map(toEventDto);
}

/** The id of the newest committed event (0 when there is none). */
export async function latestEventId(em: EntityManager): Promise<number> {
  const rows = await em.execute<{ max: string | null }[]>('select max(id) as max from domain_event');
  return Number(rows[0]?.max ?? 0);
}
