import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../db/sql.js';
import { ESSENTIAL_TEMPLATES, SECRET_VARIABLES, deliveryPolicy, type EmailTemplateName, type EmailTemplateVariables } from '../../emails/templates.js';
import { lockForTransaction } from '../db/locks.js';
import { MAIL_CAPS_KEY, mailCapsFrom } from './mail-caps.js';
import type { MailCapSettings } from '../../shared/schemas/mail-safety.js';
import { suppressionOf, suppressionsOf } from './suppression.js';
import { DEFAULT_MAX_ATTEMPTS } from './retry-schedule.js';

export const OUTBOX_CHANNEL = 'admit_outbox';

/**
 * Queues an email in the caller's transaction: if the change rolls back, nothing is sent.
 * Wakes the mail workers on commit. Returns the outbox row id.
 *
 * An email the suppression list or the per-recipient cap holds back is still written,
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
  const policy = deliveryPolicy(template);
  const secrets = (SECRET_VARIABLES as Record<string, string[]>)[template] ?? [];
  // The suppression list holds back every template but the one the person just asked for.
  if (!policy.requested) {
    const entry = await suppressionOf(em, to);
    if (entry) {
      const kept = Object.fromEntries(Object.entries(variables as Record<string, unknown>).filter(([k]) => !secrets.includes(k)));
      const rows = await query<{ id: string }>(
        em,
        `insert into email_outbox (template, to_address, variables, status, attempts, max_attempts, next_attempt_at, last_error, user_id, created_at, updated_at)
         values (?, ?, ?::jsonb, 'suppressed', 0, ${DEFAULT_MAX_ATTEMPTS}, now(), ?, ?, now(), now()) returning id`,
        [template, to, JSON.stringify(kept), suppressedMessage(entry), opts.userId ?? null],
      );
      return Number(rows[0]!.id);
    }
  }
  const insert = `insert into email_outbox (template, to_address, variables, status, attempts, max_attempts, next_attempt_at, user_id, created_at, updated_at)
       values (?, ?, ?::jsonb, 'pending', 0, ${DEFAULT_MAX_ATTEMPTS}, now(), ?, now(), now()) returning id`;
  const values = [template, to, JSON.stringify(variables), opts.userId ?? null];
  if (policy.essential) {
    // The row and the workers' wake-up in one statement.
    const rows = await query<{ id: string }>(em, `with ins as (${insert}) select id, pg_notify(?, id::text) from ins`, [...values, OUTBOX_CHANNEL]);
    return Number(rows[0]!.id);
  }
  // The per-recipient cap (Settings > Emails) holds back non-essential templates. The count must see
  // every earlier email to this address, including one committed a moment ago by a concurrent
  // request: the lock comes first, in a statement of its own, so the count's snapshot is taken after
  // it. Event appends already take this lock and hold it to commit, so taking it here (rather than a
  // lock of our own) cannot deadlock with them, whatever the order.
  await lockForTransaction(em, 'eventAppend');
  // The counts, the cap in force and the row in one statement (the count does not see the row it
  // inserts: one snapshot); a row over the cap is then turned into a suppressed one, secrets dropped.
  const rows = await query<{ id: string; hour: string; day: string; caps: Partial<MailCapSettings> | null }>(
    em,
    `with c as (
       select count(*) filter (where created_at > now() - interval '1 hour') as hour, count(*) as day,
              (select value from setting where key = ?) as caps
         from email_outbox
        where lower(to_address) = lower(?) and created_at > now() - interval '1 day'
          and status <> 'suppressed' and template <> all(?::text[])),
     ins as (${insert})
     select ins.id, c.hour, c.day, c.caps, pg_notify(?, ins.id::text) from ins, c`,
    [MAIL_CAPS_KEY, to, `{${ESSENTIAL_TEMPLATES.join(',')}}`, ...values, OUTBOX_CHANNEL],
  );
  const row = rows[0]!;
  const held = overCap(mailCapsFrom(row.caps ?? undefined), Number(row.hour), Number(row.day));
  if (held) {
    // Its wake-up finds nothing to send: the row is suppressed by the time the transaction commits.
    await query(em, `update email_outbox set status = 'suppressed', last_error = ?, variables = variables - ?::text[] where id = ?`, [
      held,
      `{${secrets.join(',')}}`,
      row.id,
    ]);
  }
  return Number(row.id);
}

/** One email of a queueEmails batch. */
export interface EmailToQueue<T extends EmailTemplateName> {
  to: string;
  variables: EmailTemplateVariables[T];
  userId?: string | null;
}

/**
 * queueEmail for many emails of one template at once (bulk decisions), with the same rules and
 * rows: the suppression list is read in one statement, every row is written by one insert in the
 * given order, and the workers are woken once. A capped template (not essential) goes through
 * queueEmail one email at a time, because each email counts towards the cap of the next.
 * Returns the outbox row ids in the given order.
 */
export async function queueEmails<T extends EmailTemplateName>(em: EntityManager, template: T, emails: readonly EmailToQueue<T>[]): Promise<number[]> {
  if (!em.isInTransaction()) throw new Error('queueEmails must run inside a transaction');
  if (emails.length === 0) return [];
  const policy = deliveryPolicy(template);
  if (!policy.essential) {
    const ids: number[] = [];
    for (const e of emails) ids.push(await queueEmail(em, template, e.to, e.variables, { userId: e.userId ?? null }));
    return ids;
  }
  const suppressed = policy.requested
    ? new Map<string, { reason: string; source: string }>()
    : await suppressionsOf(
        em,
        emails.map((e) => e.to),
      );
  const secrets = (SECRET_VARIABLES as Record<string, string[]>)[template] ?? [];
  const rows = emails.map((e, ord) => {
    const entry = suppressed.get(e.to);
    const variables = e.variables as Record<string, unknown>;
    return entry
      ? {
          ord,
          to_address: e.to,
          variables: Object.fromEntries(Object.entries(variables).filter(([k]) => !secrets.includes(k))),
          status: 'suppressed',
          last_error: suppressedMessage(entry),
          user_id: e.userId ?? null,
        }
      : { ord, to_address: e.to, variables, status: 'pending', last_error: null, user_id: e.userId ?? null };
  });
  const inserted = await query<{ id: string; status: string }>(
    em,
    `insert into email_outbox (template, to_address, variables, status, attempts, max_attempts, next_attempt_at, last_error, user_id, created_at, updated_at)
     select ?, v.to_address, v.variables, v.status, 0, ${DEFAULT_MAX_ATTEMPTS}, now(), v.last_error, v.user_id, now(), now()
       from jsonb_to_recordset(?::jsonb) as v(ord int, to_address text, variables jsonb, status text, last_error text, user_id uuid)
      order by v.ord
     returning id, status`,
    [template, JSON.stringify(rows)],
  );
  const lastPending = inserted.filter((r) => r.status === 'pending').at(-1);
  if (lastPending) await query(em, 'select pg_notify(?, ?)', [OUTBOX_CHANNEL, lastPending.id]);
  return inserted.map((r) => Number(r.id));
}

const suppressedMessage = (entry: { reason: string; source: string }) =>
  `Not sent: the address is on the suppression list (${entry.source === 'bounce' ? 'bounced' : entry.reason})`;

/** Why a capped email must not go (the per-recipient cap), or null. */
function overCap(caps: MailCapSettings, hour: number, day: number): string | null {
  if (hour >= caps.perRecipientPerHour) return `Not sent: this address already got ${hour} emails in the past hour (per-recipient cap, Settings > Emails)`;
  if (day >= caps.perRecipientPerDay) return `Not sent: this address already got ${day} emails in the past day (per-recipient cap, Settings > Emails)`;
  return null;
}

/** How many emails from this template were queued for the user since `since` (throttles notices). */
export async function countQueuedSince(em: EntityManager, userId: string, template: EmailTemplateName, since: Date): Promise<number> {
  const rows = await query<{ n: string }>(em, `select count(*) as n from email_outbox where user_id = ? and template = ? and created_at > ?`, [
    userId,
    template,
    since,
  ]);
  return Number(rows[0]?.n ?? 0);
}

/** The outbox's backlog for metrics: pending emails, and the age of the oldest one due (0 when none). Uses the pending partial index. */
export async function outboxBacklog(em: EntityManager): Promise<{ pending: number; oldestDueAgeS: number }> {
  const rows = await query<{ pending: string; oldest_due_age_s: string | null }>(
    em,
    `select count(*) as pending,
            extract(epoch from now() - min(next_attempt_at) filter (where next_attempt_at <= now())) as oldest_due_age_s
       from email_outbox where status = 'pending'`,
  );
  return { pending: Number(rows[0]?.pending ?? 0), oldestDueAgeS: Math.max(0, Number(rows[0]?.oldest_due_age_s ?? 0)) };
}
