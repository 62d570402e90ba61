import type { EntityManager } from '@mikro-orm/postgresql';
import type { DomainEventMap, DomainEventType } from '../../shared/events.js';
import { lockForTransaction } from '../db/locks.js';
import { currentApiToken } from './actor-context.js';
import { fanOutToWebhooks } from './webhook-fanout.js';

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
  await lockForTransaction(em, 'eventAppend');
  // A change made through the REST API names the token too (events/actor-context.ts).
  const token = currentApiToken();
  const rows = await em.execute<{ id: string }[]>(
    `insert into domain_event (type, actor_id, user_id, data, actor_token_id, actor_token_name, created_at)
     values (?, ?, ?, ?::jsonb, ?, ?, clock_timestamp()) returning id`,
    [type, opts.actorId, opts.userId ?? null, JSON.stringify(data), token?.tokenId ?? null, token?.tokenName ?? null],
  );
  const id = Number(rows[0]!.id);
  await em.execute('select pg_notify(?, ?)', [EVENTS_CHANNEL, String(id)]);
  // Webhooks: one delivery row per matching endpoint, in this same transaction (the outbox).
  await fanOutToWebhooks(em, { id, type, data, actorId: opts.actorId, userId: opts.userId ?? null });
  return id;
}
