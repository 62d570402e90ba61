import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * Per-status user counts, one row per shard (Migration20261214120000_counts_search): triggers on
 * app_user keep them exact; the sum over the rows is the count. Read by events/user-counts.ts.
 */
export const UserStatusCount = defineEntity({
  name: 'UserStatusCount',
  tableName: 'user_status_count',
  properties: {
    shard: p.smallint().primary().autoincrement(false),
    unverified: p.bigint('number').default(0),
    pending: p.bigint('number').default(0),
    active: p.bigint('number').default(0),
    rejected: p.bigint('number').default(0),
    inactive: p.bigint('number').default(0),
    invited: p.bigint('number').default(0),
  },
});
export type UserStatusCount = InferEntity<typeof UserStatusCount>;
