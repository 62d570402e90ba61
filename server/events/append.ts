import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../db/sql.js';
import type { DomainEventMap, DomainEventType } from '../../shared/events.js';
import { lockForTransaction, lockToTake } from '../db/locks.js';
import { currentApiToken } from './actor-context.js';
import { WEBHOOK_WORK_CHANNEL, fanOutEventsToWebhooks, webhookFanOutSql } from './webhook-fanout.js';

export const EVENTS_CHANNEL = 'admit_events';

/**
 * Appends a domain event inside the caller's transaction and schedules its NOTIFY, which
 * PostgreSQL delivers only if and when the transaction commits.
 *
 * The transaction-level advisory lock makes appends (and so their commits) happen one at a time
 * from here on: a bigserial id taken by transaction A could otherwise become visible after a larger
 * id from B, and a client resuming "after B" would never see A.
 */
export async function appendEvent<T extends DomainEventType>(
  em: EntityManager,
  type: T,
  data: DomainEventMap[T],
  opts: { actorId: string | null; userId?: string | null },
): Promise<number> {
  if (!em.isInTransaction()) throw new Error('appendEvent must run inside a transaction');
  // The append lock, unless this transaction holds it already, is taken by the statement itself,
  // before the event's id is drawn (the insert selects from `l`).
  const lock = lockToTake(em, 'eventAppend');
  // A change made through the REST API names the token too (events/actor-context.ts).
  const token = currentApiToken();
  // One statement: the lock, the event, its NOTIFY, and the webhooks' outbox (one delivery row per
  // matching endpoint, webhook-fanout.ts) with their workers' wake-up when there is one.
  const fanOut = webhookFanOutSql(type);
  const rows = await query<{ id: string }>(
    em,
    `with l as (select ${lock ? 'pg_advisory_xact_lock(?::bigint)' : 'null'} as locked),
     ev as (
       insert into domain_event (type, actor_id, user_id, data, actor_token_id, actor_token_name, created_at)
       select ?, ?::uuid, ?::uuid, ?::jsonb, ?::uuid, ?, clock_timestamp() from l
       returning id, type, user_id, actor_id, data, created_at),
     ${fanOut.sql}
     select ev.id, pg_notify(?, ev.id::text),
            case when exists (select 1 from wh) then pg_notify(?, '') end
       from ev`,
    [
      ...(lock ? [lock.key] : []),
      type,
      opts.actorId,
      opts.userId ?? null,
      JSON.stringify(data),
      token?.tokenId ?? null,
      token?.tokenName ?? null,
      ...fanOut.params,
      EVENTS_CHANNEL,
      WEBHOOK_WORK_CHANNEL,
    ],
  );
  lock?.taken();
  return Number(rows[0]!.id);
}

/** One event of an appendEvents batch. */
export type EventToAppend = { [T in DomainEventType]: { type: T; data: DomainEventMap[T]; userId?: string | null } }[DomainEventType];

/**
 * appendEvent for many events by one actor (bulk decisions), with the same rows, NOTIFY and
 * webhook deliveries: one take of the append lock, one insert (ids in the given order, and
 * contiguous: every append holds the lock while it takes ids), one NOTIFY carrying the last id
 * (the listener loads everything after the id it last saw) and one fan-out statement.
 * Returns the ids in the given order.
 */
export async function appendEvents(em: EntityManager, events: readonly EventToAppend[], opts: { actorId: string | null }): Promise<number[]> {
  if (!em.isInTransaction()) throw new Error('appendEvents must run inside a transaction');
  if (events.length === 0) return [];
  await lockForTransaction(em, 'eventAppend');
  const token = currentApiToken();
  const rows = await query<{ id: string }>(
    em,
    `insert into domain_event (type, actor_id, user_id, data, actor_token_id, actor_token_name, created_at)
     select v.type, ?::uuid, v.user_id, v.data, ?::uuid, ?, clock_timestamp()
       from jsonb_to_recordset(?::jsonb) as v(ord int, type text, user_id uuid, data jsonb)
      order by v.ord
     returning id`,
    [
      opts.actorId,
      token?.tokenId ?? null,
      token?.tokenName ?? null,
      JSON.stringify(events.map((e, ord) => ({ ord, type: e.type, user_id: e.userId ?? null, data: e.data }))),
    ],
  );
  const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  await query(em, 'select pg_notify(?, ?)', [EVENTS_CHANNEL, String(ids.at(-1))]);
  await fanOutEventsToWebhooks(
    em,
    events.map((e, i) => ({ id: ids[i]!, type: e.type })),
  );
  return ids;
}
