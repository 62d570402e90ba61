import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../db/sql.js';
import { WEBHOOK_MAX_ATTEMPTS, isDeliverableType, patternsMatching } from '../../shared/webhooks.js';

/** NOTIFY channel that wakes the webhook workers (payload: nothing they need). */
export const WEBHOOK_WORK_CHANNEL = 'admit_webhooks';

/**
 * The webhook projection of a domain event: one webhook_delivery row per enabled endpoint that
 * asked for this type, in the event's own transaction (the outbox pattern). If the change rolls
 * back, nothing is sent; if it commits, every matching endpoint gets it, at least once.
 *
 * Payload (Standard Webhooks): `{ type, timestamp, data }`, where data carries the event's
 * position (`eventId`, increasing in commit order) and its actor next to the event's own fields,
 * so receivers can order by it and de-duplicate by the `webhook-id` header (message_id).
 *
 * Lives in events/ (not webhooks/) because append.ts calls it: webhooks/ imports events/, never
 * the other way round. This is a common table expression named `wh` over `ev`, the inserted event
 * (id, type, user_id, actor_id, data, created_at), so append.ts inserts the event, its deliveries
 * and both NOTIFYs in one statement.
 */
export function webhookFanOutSql(type: string): { sql: string; params: unknown[] } {
  // The timestamp is the event's own, and the payload is built from the inserted row: the same
  // jsonb as fanOutEventsToWebhooks builds from the stored events.
  return {
    sql: `wh as (
       insert into webhook_delivery (endpoint_id, message_id, event_id, event_type, user_id, payload, status, attempts, max_attempts, next_attempt_at, created_at, updated_at)
       select e.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), ev.id, ev.type, ev.user_id,
              jsonb_build_object(
                'type', ev.type,
                'timestamp', to_char(ev.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'data', jsonb_build_object('eventId', ev.id, 'actorId', ev.actor_id) || ev.data),
              'pending', 0, ${WEBHOOK_MAX_ATTEMPTS}, now(), now(), now()
         from ev join webhook_endpoint e on e.enabled and jsonb_exists_any(e.event_types, ?::text[])
        order by e.created_at, e.id
       returning 1)`,
    // A type no webhook can receive matches no endpoint.
    params: [`{${isDeliverableType(type) ? patternsMatching(type).join(',') : ''}}`],
  };
}

/**
 * The same for many events of one transaction (events/append.ts appendEvents): the same
 * rows in one statement, in event order and, per event, endpoint order; one wake-up. The payload
 * is built from the stored events (jsonb: the same value as the single path's), so only ids and
 * types travel.
 */
export async function fanOutEventsToWebhooks(em: EntityManager, events: readonly { id: number; type: string }[]): Promise<number> {
  const deliverable = events.filter((e) => isDeliverableType(e.type));
  if (deliverable.length === 0) return 0;
  const types = [...new Set(deliverable.map((e) => e.type))].map((type) => ({ type, patterns: patternsMatching(type) }));
  const rows = await query<{ id: string }>(
    em,
    `with t as (select * from jsonb_to_recordset(?::jsonb) as t(type text, patterns text[]))
     insert into webhook_delivery (endpoint_id, message_id, event_id, event_type, user_id, payload, status, attempts, max_attempts, next_attempt_at, created_at, updated_at)
     select e.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), d.id, d.type, d.user_id,
            jsonb_build_object(
              'type', d.type,
              'timestamp', to_char(d.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'data', jsonb_build_object('eventId', d.id, 'actorId', d.actor_id) || d.data),
            'pending', 0, ${WEBHOOK_MAX_ATTEMPTS}, now(), now(), now()
       from domain_event d
       join t on t.type = d.type
       join webhook_endpoint e on e.enabled and jsonb_exists_any(e.event_types, t.patterns)
      where d.id = any(?::bigint[])
      order by d.id, e.created_at, e.id
     returning id`,
    [JSON.stringify(types), `{${deliverable.map((e) => e.id).join(',')}}`],
  );
  if (rows.length > 0) await query(em, 'select pg_notify(?, ?)', [WEBHOOK_WORK_CHANNEL, '']);
  return rows.length;
}
