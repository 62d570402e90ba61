import * as z from 'zod/mini';
import { uuidSchema } from './common.js';
import { expectedVersionSchema, rejectUserInput, userListInput, userListOutput, userSnapshotSchema } from './users.js';

export const BULK_DECIDE_MAX = 1000;

/** Activate or reject many pending users in one step; each with the version the admin saw. */
export const bulkDecideInput = z.object({
  decision: z.enum(['activate', 'reject'], { error: 'Choose Activate or Reject' }),
  users: z.array(z.object({ userId: uuidSchema, expectedVersion: expectedVersionSchema }), { error: 'Select at least one user' }).check(
    z.minLength(1, { error: 'Select at least one user' }),
    z.maxLength(BULK_DECIDE_MAX, { error: `Select at most ${BULK_DECIDE_MAX} users at a time` }),
    z.refine((list) => new Set(list.map((u) => u.userId)).size === list.length, { error: 'A user is selected twice' }),
  ),
  /** Only for reject: told to every rejected user. */
  reason: rejectUserInput.shape.reason,
});
export type BulkDecideInput = z.input<typeof bulkDecideInput>;

export const bulkDecideItem = z.object({
  userId: z.string(),
  ok: z.boolean(),
  /** Why it was not decided, in words for the admin ("Already activated by Jane Doe"). */
  message: z.nullable(z.string()),
  /** The user as it is now (after the decision, or as someone else left it); null when it no longer exists. */
  user: z.nullable(userSnapshotSchema),
});
export type BulkDecideItem = z.infer<typeof bulkDecideItem>;

export const bulkDecideOutput = z.object({
  results: z.array(bulkDecideItem),
  succeeded: z.int(),
  failed: z.int(),
});
export type BulkDecideOutput = z.infer<typeof bulkDecideOutput>;

// ---------------------------------------------------------------------------------------------
// The pending queue (what bulk decisions work on), sorted by how long each request has waited.

export const pendingQueueInput = z.object({
  /** 'oldest' = waiting longest first. */
  sort: z._default(z.enum(['oldest', 'newest'], { error: 'Sort by oldest or newest' }), 'oldest'),
  search: userListInput.shape.search,
  cursor: userListInput.shape.cursor,
  limit: userListInput.shape.limit,
});
export type PendingQueueInput = z.input<typeof pendingQueueInput>;
export const pendingQueueOutput = userListOutput;
