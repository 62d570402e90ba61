import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../db/sql.js';
import { SECRET_VARIABLES } from '../../emails/templates.js';
import { LOCKS } from '../db/locks.js';
import { EVENTS_CHANNEL } from '../events/append.js';
import { WEBHOOK_WORK_CHANNEL, webhookFanOutSql } from '../events/webhook-fanout.js';

// The mail worker's statements on email_outbox: claim a batch, mark it sent, schedule a retry,
// give up. Every mark applies only while the row is still this worker's (same attempt, pending).

export interface ClaimedRow {
  id: string;
  template: string;
  to_address: string;
  /** jsonb: a JSON null is storable even though the column is not null. */
  variables: Record<string, unknown> | null;
  attempts: number;
  max_attempts: number;
  user_id: string | null;
}

/** The template's variables that hold a secret (a raw token), dropped once the email is done. */
export function secretKeys(template: string): string[] {
  return (SECRET_VARIABLES as Record<string, string[]>)[template] ?? [];
}

/**
 * Claims up to `limit` due rows for `leaseMs`, counting an attempt on each. One statement: the row
 * locks of FOR UPDATE SKIP LOCKED last until it ends, and by then the rows carry this worker's
 * lease, so no other worker (or process) can take them. When it claims something, the same
 * statement returns every stored setting by key (`settings`: what the batch is rendered with, the
 * portal's name, sender and template overrides), so a batch costs one round trip before sending.
 */
export async function claimDue(
  em: EntityManager,
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<{ rows: ClaimedRow[]; settings: Record<string, unknown> }> {
  const result = await query<{ rows: ClaimedRow[] | null; settings: Record<string, unknown> | null }>(
    em,
    `with due as (
       select id from email_outbox
       where status = 'pending' and next_attempt_at <= ? and (locked_until is null or locked_until <= ?)
       order by next_attempt_at, id
       limit ?
       for update skip locked
     ),
     c as (
       update email_outbox o
          set locked_until = ?, attempts = o.attempts + 1, updated_at = ?
         from due
        where o.id = due.id
       returning o.id, o.template, o.to_address, o.variables, o.attempts, o.max_attempts, o.user_id)
     select (select json_agg(json_build_object('id', c.id::text, 'template', c.template, 'to_address', c.to_address, 'variables', c.variables,
                                               'attempts', c.attempts, 'max_attempts', c.max_attempts, 'user_id', c.user_id) order by c.id)
               from c) as rows,
            case when exists (select 1 from c) then (select coalesce(json_object_agg(key, value), '{}') from setting) end as settings`,
    [now, now, limit, new Date(now.getTime() + leaseMs), now],
  );
  return { rows: result[0]?.rows ?? [], settings: result[0]?.settings ?? {} };
}

type SentMark = { row: ClaimedRow; subject: string; messageId: string | null };

/**
 * The "sent" update of markSent and markSentWithEvents: only rows this worker still holds (same
 * attempt count, still pending), their secret variables dropped. Parameters: now, now, the marks
 * (markPayload).
 */
const MARK_SENT_SQL = `update email_outbox o
        set status = 'sent', sent_at = ?, subject = v.subject, message_id = coalesce(v.message_id, o.message_id),
            locked_until = null, last_error = null, updated_at = ?, variables = o.variables - v.secrets
       from jsonb_to_recordset(?::jsonb) as v(id bigint, attempts int, subject text, message_id text, secrets text[])
      where o.id = v.id and o.status = 'pending' and o.attempts = v.attempts
      returning o.id, o.template, o.to_address, o.user_id`;

function markPayload(done: SentMark[]): string {
  return JSON.stringify(
    done.map((d) => ({
      id: d.row.id,
      attempts: d.row.attempts,
      subject: d.subject.slice(0, 300),
      message_id: d.messageId?.slice(0, 255) ?? null,
      secrets: secretKeys(d.row.template),
    })),
  );
}

/** Marks rows sent in one statement (MARK_SENT_SQL), in the caller's transaction. Returns the ids it marked. */
export async function markSent(tx: EntityManager, now: Date, done: SentMark[]): Promise<Set<string>> {
  if (done.length === 0) return new Set();
  const owned = await query<{ id: string }>(tx, MARK_SENT_SQL, [now, now, markPayload(done)]);
  return new Set(owned.map((r) => r.id));
}

/**
 * markSent and the `email.sent` events of the rows it marked, as one statement in its own
 * transaction (the worker's group commit after SMTP acceptances): the update, the event-append
 * lock (taken only when a row was marked, and before any event id is drawn, as append.ts takes it),
 * one event per marked row in outbox order, their webhook deliveries and both NOTIFYs. One round
 * trip where a transaction of markSent and appendEvents took six. Returns the ids it marked.
 */
export async function markSentWithEvents(em: EntityManager, now: Date, done: SentMark[]): Promise<Set<string>> {
  if (done.length === 0) return new Set();
  if (em.isInTransaction()) throw new Error('markSentWithEvents runs as its own transaction');
  const fanOut = webhookFanOutSql('email.sent');
  const rows = await query<{ ids: string[] | null; notified: unknown }>(
    em,
    `with m as (${MARK_SENT_SQL}),
     l as (select pg_advisory_xact_lock(?) where exists (select 1 from m)),
     ev as (
       insert into domain_event (type, actor_id, user_id, data, created_at)
       select 'email.sent', null, m.user_id, jsonb_build_object('outboxId', m.id, 'template', m.template, 'to', m.to_address), clock_timestamp()
         from m cross join l
        order by m.id
       returning id, type, user_id, actor_id, data, created_at),
     ${fanOut.sql}
     select (select array_agg(id::text) from m) as ids,
            (select pg_notify(?, max(id)::text) from ev having count(*) > 0) as notified,
            case when exists (select 1 from wh) then pg_notify(?, '') end as woken`,
    [now, now, markPayload(done), LOCKS.eventAppend, ...fanOut.params, EVENTS_CHANNEL, WEBHOOK_WORK_CHANNEL],
  );
  return new Set(rows[0]?.ids ?? []);
}

export async function setMessageId(tx: EntityManager, id: string, messageId: string): Promise<void> {
  await query(tx, `update email_outbox set message_id = ? where id = ?`, [messageId, id]);
}

/** Releases the row for another try at `next`. */
export async function scheduleRetry(tx: EntityManager, row: ClaimedRow, next: Date, error: string, now: Date): Promise<void> {
  await query(
    tx,
    `update email_outbox set next_attempt_at = ?, locked_until = null, last_error = ?, updated_at = ?
      where id = ? and status = 'pending' and attempts = ?`,
    [next, error, now, row.id, row.attempts],
  );
}

/**
 * Gives up on the row: failed for good, and the secret (a raw token) goes too; the flow that needs
 * it must issue a new one. False when the row was no longer this worker's.
 */
export async function markFailed(tx: EntityManager, row: ClaimedRow, error: string, now: Date): Promise<boolean> {
  const owned = await query<{ id: string }>(
    tx,
    `update email_outbox set status = 'failed', locked_until = null, last_error = ?, updated_at = ?, variables = variables - ?::text[]
      where id = ? and status = 'pending' and attempts = ? returning id`,
    [error, now, `{${secretKeys(row.template).join(',')}}`, row.id, row.attempts],
  );
  return owned.length > 0;
}

/**
 * Heartbeat: extends the lease of the rows this worker still holds (same attempt, still pending),
 * so a live worker keeps them while a crashed one's run out within one lease.
 */
export async function renewLeases(em: EntityManager, held: { id: string; attempts: number }[], until: Date): Promise<number> {
  if (held.length === 0) return 0;
  const rows = await query<{ id: string }>(
    em,
    `update email_outbox o set locked_until = ?
       from jsonb_to_recordset(?::jsonb) as v(id bigint, attempts int)
      where o.id = v.id and o.status = 'pending' and o.attempts = v.attempts
      returning o.id`,
    [until, JSON.stringify(held)],
  );
  return rows.length;
}

/**
 * "Retry all failed": puts every failed email back in the queue for a fresh series of tries,
 * except those that carried a one-time link (it was discarded with the failure). Returns how many
 * went back and how many could not.
 */
export async function requeueAllFailed(tx: EntityManager, now: Date, secretTemplates: string[]): Promise<{ retried: number; skipped: number }> {
  const retried = await query<{ id: string }>(
    tx,
    `update email_outbox set status = 'pending', attempts = 0, next_attempt_at = ?, locked_until = null, last_error = null, updated_at = ?
      where status = 'failed' and not (template = any(?::text[])) returning id`,
    [now, now, `{${secretTemplates.join(',')}}`],
  );
  const skipped = await query<{ n: string }>(tx, `select count(*) as n from email_outbox where status = 'failed'`);
  return { retried: retried.length, skipped: Number(skipped[0]?.n ?? 0) };
}
