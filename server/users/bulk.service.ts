import type { EntityManager } from '@mikro-orm/postgresql';
import { SNAPSHOT_COLUMNS, snapshotFromRow } from './users.snapshot.js';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { BulkDecideItem, BulkDecideOutput } from '../../shared/schemas/bulk.js';
import type { UserSnapshot } from '../../shared/events.js';
import { AppError } from '../errors.js';
import type { UserListOutput } from '../../shared/schemas/users.js';
import { activateUser, rejectUser } from './users.service.js';
import { decodeCursor, encodeCursor, likePattern } from './users.repository.js';

const DECIDED_BY_EVENT = { active: 'user.activated', rejected: 'user.rejected', inactive: 'user.deactivated' } as const;
const DONE_WORD = { active: 'activated', rejected: 'rejected', inactive: 'deactivated' } as const;

/** "Already activated by another admin (Jane Doe)." — who made the decision that got there first, from its event. */
async function alreadyDecidedMessage(app: AppServices, actor: SessionUser, current: UserSnapshot): Promise<string> {
  const status = current.status;
  if (status !== 'active' && status !== 'rejected' && status !== 'inactive') {
    return 'Changed by someone else in the meantime; review it and try again.';
  }
  const rows = await app.em().execute<{ actor_id: string | null; actor_name: string | null }[]>(
    `select e.actor_id, nullif(trim(coalesce(a.first_name, '') || ' ' || coalesce(a.last_name, '')), '') as actor_name
       from domain_event e left join app_user a on a.id = e.actor_id
      where e.user_id = ? and e.type = ? order by e.id desc limit 1`,
    [current.id, DECIDED_BY_EVENT[status]],
  );
  const r = rows[0];
  if (!r || !r.actor_id) return `Already ${DONE_WORD[status]}.`;
  const who = r.actor_id === actor.id ? 'you' : r.actor_name ? `another admin (${r.actor_name})` : 'another admin';
  return `Already ${DONE_WORD[status]} by ${who}.`;
}

/**
 * Activates or rejects each selected user in its own transaction (through the same service
 * functions as the single actions, so emails, events and version checks are identical): one
 * conflict does not roll back the others. Every success appends its event, so every admin's list
 * updates live. The result says, per user, whether it was decided and, if not, why.
 */
export async function bulkDecide(
  app: AppServices,
  actor: SessionUser,
  decision: 'activate' | 'reject',
  users: { userId: string; expectedVersion: number }[],
  reason: string | null,
): Promise<BulkDecideOutput> {
  const results: BulkDecideItem[] = [];
  for (const { userId, expectedVersion } of users) {
    try {
      const user =
        decision === 'activate'
          ? await activateUser(app, actor, userId, expectedVersion)
          : await rejectUser(app, actor, userId, expectedVersion, reason);
      results.push({ userId, ok: true, message: null, user });
    } catch (e) {
      if (!(e instanceof AppError)) {
        app.log.error('bulk decision failed for one user', { userId, error: e as Error });
        results.push({ userId, ok: false, message: 'Could not be decided because of an error on our side; please try again.', user: null });
        continue;
      }
      if (e.reason === 'NOT_FOUND') {
        results.push({ userId, ok: false, message: 'No longer exists (it was deleted).', user: null });
        continue;
      }
      const current = (e.details?.user as UserSnapshot | null | undefined) ?? null;
      const message = current && (e.reason === 'USER_CHANGED' || e.reason === 'INVALID_TRANSITION') ? await alreadyDecidedMessage(app, actor, current) : e.message;
      results.push({ userId, ok: false, message, user: current });
    }
  }
  const succeeded = results.filter((r) => r.ok).length;
  return { results, succeeded, failed: results.length - succeeded };
}

// Same expression as the users list's search (the trigram index app_user_search_trgm is built on it).
const SEARCH_EXPR = `lower(u.first_name || ' ' || u.last_name || ' ' || u.email)`;

/**
 * Pending users by how long they have waited (oldest or newest first), keyset-paginated on
 * (created_at, id) like the users list, so the queue can be worked through from either end.
 */
export async function pendingQueue(em: EntityManager, q: { sort: 'oldest' | 'newest'; search: string; cursor?: string | null; limit: number }): Promise<UserListOutput> {
  const asc = q.sort === 'oldest';
  const conds = [`u.status = 'pending'`];
  const params: unknown[] = [];
  if (q.search) {
    conds.push(`${SEARCH_EXPR} like ? escape '\\'`);
    params.push(likePattern(q.search));
  }
  if (q.cursor) {
    const after = decodeCursor(q.cursor);
    conds.push(`(u.created_at, u.id) ${asc ? '>' : '<'} (?::timestamptz, ?::uuid)`);
    params.push(after.at, after.id);
  }
  params.push(q.limit + 1);
  const dir = asc ? 'asc' : 'desc';
  const rows = await em.execute<any[]>(
    `select ${SNAPSHOT_COLUMNS},
            to_char(u.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_key
       from app_user u join organisation o on o.id = u.organisation_id
      where ${conds.join(' and ')}
      order by u.created_at ${dir}, u.id ${dir} limit ?`,
    params as any[],
  );
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const last = page[page.length - 1];
  return {
    items: page.map(snapshotFromRow),
    nextCursor: more && last ? encodeCursor({ seg: 1, at: last.created_key, id: last.id }) : null,
  };
}
