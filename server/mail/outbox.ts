import type { EntityManager } from '@mikro-orm/postgresql';
import type { EmailTemplateName, EmailTemplateVariables } from '../../emails/templates.js';
import { DEFAULT_MAX_ATTEMPTS } from './retry-schedule.js';

export const OUTBOX_CHANNEL = 'admit_outbox';

/**
 * Queues an email in the caller's transaction: if the change rolls back, nothing is sent.
 * Wakes the mail workers on commit. Returns the outbox row id.
 */
export async function queueEmail<T extends EmailTemplateName>(
  em: EntityManager,
  template: T,
  to: string,
  variables: EmailTemplateVariables[T],
  opts: { userId?: string | null } = {},
): Promise<number> {
  if (!em.isInTransaction()) throw new Error('queueEmail must run inside a transaction');
  const rows = await em.execute<{ id: string }[]>(
    `insert into email_outbox (template, to_address, variables, status, attempts, max_attempts, next_attempt_at, user_id, created_at, updated_at)
     values (?, ?, ?::jsonb, 'pending', 0, ${DEFAULT_MAX_ATTEMPTS}, now(), ?, now(), now()) returning id`,
    [template, to, JSON.stringify(variables), opts.userId ?? null],
  );
  await em.execute('select pg_notify(?, ?)', [OUTBOX_CHANNEL, rows[0]!.id]);
  return Number(rows[0]!.id);
}

/** How many emails from this template were queued for the user since `since` (throttles notices). */
export async function countQueuedSince(em: EntityManager, userId: string, template: EmailTemplateName, since: Date): Promise<number> {
  const rows = await em.execute<{ n: string }[]>(`select count(*) as n from email_outbox where user_id = ? and template = ? and created_at > ?`, [userId, template, since]);
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
