import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { BulkDecideItem, BulkDecideOutput } from '../../shared/schemas/bulk.js';
import type { UserSnapshot } from '../../shared/events.js';
import type { AppError } from '../errors.js';
import { transactionalWithRetry } from '../db/faults.js';
import { appendEvents, type EventToAppend } from '../events/append.js';
import { queueEmails, type EmailToQueue } from '../mail/outbox.js';
import type { EmailTemplateName } from '../../emails/templates.js';
import { activationEffects, refusalFor, rejectionEffects, rejectionReason } from './decision-rules.js';
import { lastActorsOf, lockUsersInIdOrder, setStatusOfMany } from './users.repository.js';

const DECIDED_BY_EVENT = { active: 'user.activated', rejected: 'user.rejected', inactive: 'user.deactivated' } as const;
const DONE_WORD = { active: 'activated', rejected: 'rejected', inactive: 'deactivated' } as const;
const ERROR_ON_OUR_SIDE = 'Could not be decided because of an error on our side; please try again.';

type Outcome = { ok: true; user: UserSnapshot } | { ok: false; refusal: AppError };

/**
 * "Already activated by another admin (Jane Doe)." for each refused user — who made the decision
 * that got there first, from its event (one query for all of them).
 */
async function refusalMessages(app: AppServices, actor: SessionUser, refused: { userId: string; refusal: AppError }[]): Promise<Map<string, string>> {
  const messages = new Map<string, string>();
  const lookups: { userId: string; type: (typeof DECIDED_BY_EVENT)[keyof typeof DECIDED_BY_EVENT] }[] = [];
  for (const { userId, refusal } of refused) {
    if (refusal.reason === 'NOT_FOUND') {
      messages.set(userId, 'No longer exists (it was deleted).');
      continue;
    }
    const current = (refusal.details?.user as UserSnapshot | null | undefined) ?? null;
    if (!current || (refusal.reason !== 'USER_CHANGED' && refusal.reason !== 'INVALID_TRANSITION')) {
      messages.set(userId, refusal.message);
      continue;
    }
    const status = current.status;
    if (status !== 'active' && status !== 'rejected' && status !== 'inactive') {
      messages.set(userId, 'Changed by someone else in the meantime; review it and try again.');
      continue;
    }
    lookups.push({ userId, type: DECIDED_BY_EVENT[status] });
  }
  const actors = await lastActorsOf(app.em(), lookups);
  for (const { userId, type } of lookups) {
    const done = type === 'user.activated' ? DONE_WORD.active : type === 'user.rejected' ? DONE_WORD.rejected : DONE_WORD.inactive;
    const r = actors.get(userId);
    if (!r || !r.actorId) {
      messages.set(userId, `Already ${done}.`);
      continue;
    }
    const who = r.actorId === actor.id ? 'you' : r.actorName ? `another admin (${r.actorName})` : 'another admin';
    messages.set(userId, `Already ${done} by ${who}.`);
  }
  return messages;
}

/**
 * The whole decision in the caller's transaction: lock every selected row (in id order), refuse
 * those gone, changed since the admin saw them, or no longer in a status the decision applies to,
 * and decide all the others with one update, one insert of their emails and one append of their
 * events (one take of the append lock). Refusals change nothing and roll back nothing.
 */
async function decideInTransaction(
  app: AppServices,
  tx: EntityManager,
  actor: SessionUser,
  decision: 'activate' | 'reject',
  users: readonly { userId: string; expectedVersion: number }[],
  reason: string | null,
): Promise<Map<string, Outcome>> {
  const locked = new Map((await lockUsersInIdOrder(tx, [...new Set(users.map((u) => u.userId))])).map((u) => [u.id, u]));
  const outcomes = new Map<string, Outcome>();
  const decidable: string[] = [];
  for (const { userId, expectedVersion } of users) {
    const current = locked.get(userId) ?? null;
    const refusal = await refusalFor(decision, current, expectedVersion, () => current);
    if (refusal) outcomes.set(userId, { ok: false, refusal });
    else decidable.push(userId);
  }
  // One email insert and one event append for all the decided users, whichever the decision.
  const write = async <T extends EmailTemplateName>(template: T, decided: UserSnapshot[], effects: { email: EmailToQueue<T>; event: EventToAppend }[]) => {
    await queueEmails(
      tx,
      template,
      effects.map((f) => f.email),
    );
    await appendEvents(
      tx,
      effects.map((f) => f.event),
      { actorId: actor.id },
    );
    for (const user of decided) outcomes.set(user.id, { ok: true, user });
  };
  if (decision === 'activate') {
    const decided = await setStatusOfMany(tx, decidable, 'active', null);
    await write(
      'account-activated',
      decided,
      decided.map((user) => activationEffects(app, user, locked.get(user.id)!.status)),
    );
  } else {
    const decided = await setStatusOfMany(tx, decidable, 'rejected', reason);
    await write(
      'registration-rejected',
      decided,
      decided.map((user) => rejectionEffects(user, reason)),
    );
  }
  return outcomes;
}

/**
 * Activates or rejects the selected users in one transaction, set-based (one lock statement, one
 * update, one insert of emails, one append of events), with the same rules, emails and events as
 * the single actions (decision-rules.ts): a user another admin decided first, one deleted, or one
 * changed since the admin saw it is reported and the others are decided all the same. Every
 * decision appends its own event, so every admin's list updates live. The result says, per user
 * and in the given order, whether it was decided and, if not, why.
 */
export async function bulkDecide(
  app: AppServices,
  actor: SessionUser,
  decision: 'activate' | 'reject',
  users: { userId: string; expectedVersion: number }[],
  reason: string | null,
): Promise<BulkDecideOutput> {
  const why = decision === 'reject' ? rejectionReason(reason) : null;
  let outcomes: Map<string, Outcome>;
  try {
    outcomes = await transactionalWithRetry(app, (tx) => decideInTransaction(app, tx, actor, decision, users, why));
  } catch (e) {
    // Nothing was decided (the transaction rolled back): every user is reported, none half-done.
    app.log.error('bulk decision failed', { users: users.length, error: e as Error });
    const results = users.map(({ userId }): BulkDecideItem => ({ userId, ok: false, message: ERROR_ON_OUR_SIDE, user: null }));
    return { results, succeeded: 0, failed: results.length };
  }
  const refused = [...outcomes].flatMap(([userId, o]) => (o.ok ? [] : [{ userId, refusal: o.refusal }]));
  const messages = refused.length ? await refusalMessages(app, actor, refused) : new Map<string, string>();
  const results = users.map(({ userId }): BulkDecideItem => {
    const o = outcomes.get(userId);
    if (!o) return { userId, ok: false, message: ERROR_ON_OUR_SIDE, user: null };
    if (o.ok) return { userId, ok: true, message: null, user: o.user };
    return {
      userId,
      ok: false,
      message: messages.get(userId) ?? o.refusal.message,
      user: (o.refusal.details?.user as UserSnapshot | null | undefined) ?? null,
    };
  });
  const succeeded = results.filter((r) => r.ok).length;
  return { results, succeeded, failed: results.length - succeeded };
}
