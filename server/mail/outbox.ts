import type { EntityManager } from '@mikro-orm/postgresql';
import { ESSENTIAL_TEMPLATES, SECRET_VARIABLES, deliveryPolicy, type EmailTemplateName, type EmailTemplateVariables } from '../../emails/templates.js';
import { lockForTransaction } from '../db/locks.js';
import { readMailCaps } from './mail-caps.js';
import { suppressionOf } from './suppression.js';
import { DEFAULT_MAX_ATTEMPTS } from './retry-schedule.js';

export const OUTBOX_CHANNEL = 'admit_outbox';

/**
 * Queues an email in the caller's transaction: if the change rolls back, nothing is sent.
 * Wakes the mail workers on commit. Returns the outbox row id.
 *
 * An email the suppression list or the per-recipient cap holds back (heldBack) is still written,
 * with status 'suppressed', its reason in last_error and no secret variables, so the delivery
 * queue shows why it did not go; the worker never claims it.
 */
export async function queueEmail<T extends EmailTemplateName>(
  em: EntityManager,
  template: T,
  to: string,
  variables: EmailTemplateVariables[T],
  opts: { userId?: string | null } = {},
): Promise<number> {
  if (!em.isInTransaction()) throw new Error('queueEmail must run inside a transaction');
  const held = await heldBack(em, template, to);
  if (held) {
    const secrets = (SECRET_VARIABLES as Record<string, string[]>)[template] ?? [];
    const kept = Object.fromEntries(Object.entries(variables as Record<string, unknown>).filter(([k]) => !secrets.includes(k)));
    const rows = await em.execute<{ id: string }[]>(
      `insert into email_outbox (template, to_address, variables, status, attempts, max_attempts, next_attempt_at, last_error, user_id, created_at, updated_at)
       values (?, ?, ?::jsonb, 'suppressed', 0, ${DEFAULT_MAX_ATTEMPTS}, now(), ?, ?, now(), now()) returning id`,
      [template, to, JSON.stringify(kept), held, opts.userId ?? null],
    );
    return Number(rows[0]!.id);
  }
  const rows = await em.execute<{ id: string }[]>(
    `insert into email_outbox (template, to_address, variables, status, attempts, max_attempts, next_attempt_at, user_id, created_at, updated_at)
     values (?, ?, ?::jsonb, 'pending', 0, ${DEFAULT_MAX_ATTEMPTS}, now(), ?, now(), now()) returning id`,
    [template, to, JSON.stringify(variables), opts.userId ?? null],
  );
  await em.execute('select pg_notify(?, ?)', [OUTBOX_CHANNEL, rows[0]!.id]);
  return Number(rows[0]!.id);
}

/**
 * Why this email must not go, or null. The suppression list holds back every template but the
 * one the person just asked for; the per-recipient cap (Settings > Emails) holds back
 * non-essential ones (emails/templates.ts, EMAIL_DELIVERY_POLICY).
 */
async function heldBack(em: EntityManager, template: string, to: string): Promise<string | null> {
  const policy = deliveryPolicy(template);
  if (!policy.requested) {
    const entry = await suppressionOf(em, to);
    if (entry) return `Not sent: the address is on the suppression list (${entry.source === 'bounce' ? 'bounced' : entry.reason})`;
  }
  if (policy.essential) return null;
  // The count must see every earlier email to this address, including one committed a moment ago
  // by a concurrent request. Event appends already take this lock and hold it to commit, so taking
  // it here (rather than a lock of our own) cannot deadlock with them, whatever the order.
  await lockForTransaction(em, 'eventAppend');
  const caps = await readMailCaps(em);
  const counts = await em.execute<{ hour: string; day: string }[]>(
    `select count(*) filter (where created_at > now() - interval '1 hour') as hour, count(*) as day
       from email_outbox
      where lower(to_address) = lower(?) and created_at > now() - interval '1 day'
        and status <> 'suppressed' and template <> all(?::text[])`,
    [to, `{${ESSENTIAL_TEMPLATES.join(',')}}`],
  );
  const hour = Number(counts[0]?.hour ?? 0);
  const day = Number(counts[0]?.day ?? 0);
  if (hour >= caps.perRecipientPerHour) return `Not sent: this address already got ${hour} emails in the past hour (per-recipient cap, Settings > Emails)`;
  if (day >= caps.perRecipientPerDay) return `Not sent: this address already got ${day} emails in the past day (per-recipient cap, Settings > Emails)`;
  return null;
}

/** How many emails from this template were queued for the user since `since` (throttles notices). */
export async function countQueuedSince(em: EntityManager, userId: string, template: EmailTemplateName, since: Date): Promise<number> {
  const rows = await em.execute<{ n: string }[]>(`select count(*) as n from email_outbox where user_id = ? and template = ? and created_at > ?`, [
    userId,
    template,
    since,
  ]);
  return Number(rows[0]?.n ?? 0);
}

/** The outbox's backlog for metrics: pending emails, and the age of the oldest one due (0 when none). Uses the pending partial index. */
export async function outboxBacklog(em: EntityManager): Promise<{ pending: number; oldestDueAgeS: number }> {
  const rows = await em.execute<{ pending: string; oldest_due_age_s: string | null }[]>(
    `select count(*) as pending,
            extract(epoch from now() - min(next_attempt_at) filter (where next_attempt_at <= now())) as oldest_due_age_s
       from email_outbox where status = 'pending'`,
  );
  return { pending: Number(rows[0]?.pending ?? 0), oldestDueAgeS: Math.max(0, Number(rows[0]?.oldest_due_age_s ?? 0)) };
}
