import type { EntityManager } from '@mikro-orm/postgresql';
import { USER_STATUSES, type UserStatus } from '../../shared/constants.js';
import type { UserCountsDto } from '../../shared/events.js';

/**
 * Per-status user counts (issue 14, point 3). PostgreSQL keeps them exact in `user_status_count`
 * (one row per shard, maintained by triggers on app_user in the writer's own transaction:
 * Migration20261214120000_counts_search). Reading sums at most 64 rows, whatever the number of users.
 *
 * The listener reads them with every batch of events, in the same snapshot as the batch (one
 * sub-select per batch, whatever the number of tabs). Events become visible in commit order
 * (append.ts), so the counts read with a complete batch are those right after its last event, and
 * every admin tab gets them with the events that change them (subscription.ts): a dashboard never
 * re-queries per event. The stats procedure (a page load, a reconnect) reads the same sums.
 */

/** The sums as one JSON object (a sub-select of the listener's statements). */
export const USER_COUNTS_JSON_SQL = `(select json_build_object(${USER_STATUSES.map((s) => `'${s}', coalesce(sum(${s}), 0)`).join(', ')}) from user_status_count)`;

export function toUserCounts(raw: Record<string, unknown> | string | null | undefined, at: number): UserCountsDto {
  const o = (typeof raw === 'string' ? JSON.parse(raw) : (raw ?? {})) as Record<string, unknown>;
  const byStatus = {} as Record<UserStatus, number>;
  let total = 0;
  for (const s of USER_STATUSES) {
    const n = Number(o[s] ?? 0);
    byStatus[s] = n;
    total += n;
  }
  return { byStatus, total, at };
}

/** The counts now, with the newest event id of the same snapshot (the admin shell's stats: sums at most 64 rows). */
export async function readUserCounts(em: EntityManager): Promise<UserCountsDto> {
  const rows = await em.execute<{ counts: Record<string, unknown>; at: string | null }[]>(
    `select ${USER_COUNTS_JSON_SQL} as counts, (select max(id) from domain_event) as at`,
  );
  return toUserCounts(rows[0]?.counts, Number(rows[0]?.at ?? 0));
}

/** The latest counts this process knows, newest event position wins. */
export class UserCountsView {
  private latest: UserCountsDto | null = null;

  get current(): UserCountsDto | null {
    return this.latest;
  }

  /** Takes counts read at event position `at` (ignored when older than what it has). */
  update(counts: UserCountsDto): void {
    if (!this.latest || counts.at >= this.latest.at) this.latest = counts;
  }
}

/**
 * Counts app_user and corrects `user_status_count` by the difference, both in one statement and so
 * one snapshot: in any snapshot the triggers keep the two equal, so a difference is drift (triggers
 * bypassed, e.g. with session_replication_role = replica) and stays the same whatever commits
 * meanwhile. The correction is added to shard 0 (a delta, so concurrent writers are not lost).
 * Costs one count of app_user: run it rarely (jobs/user-counts.ts). Returns the drift per status.
 */
export async function reconcileUserCounts(em: EntityManager): Promise<Record<UserStatus, number>> {
  const rows = await em.execute<Record<string, string>[]>(
    `with truth as (select ${USER_STATUSES.map((s) => `count(*) filter (where status = '${s}') as ${s}`).join(', ')} from app_user),
          kept as (select ${USER_STATUSES.map((s) => `coalesce(sum(${s}), 0) as ${s}`).join(', ')} from user_status_count),
          drift as (select ${USER_STATUSES.map((s) => `truth.${s} - kept.${s} as ${s}`).join(', ')} from truth, kept),
          fixed as (
            update user_status_count c set ${USER_STATUSES.map((s) => `${s} = c.${s} + drift.${s}`).join(', ')}
              from drift where c.shard = 0 and (${USER_STATUSES.map((s) => `drift.${s} <> 0`).join(' or ')})
            returning c.shard)
     select drift.* from drift`,
  );
  const drift = {} as Record<UserStatus, number>;
  for (const s of USER_STATUSES) drift[s] = Number(rows[0]?.[s] ?? 0);
  return drift;
}
