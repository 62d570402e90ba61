import { z } from 'zod';
import { uuidSchema } from './common.js';
import { expectedVersionSchema, rejectUserInput, userListInput, userListOutput, userSnapshotSchema } from './users.js';

export const BULK_DECIDE_MAX = 100;

/** Activate or reject many pending users in one step; each with the version the admin saw. */
export const bulkDecideInput = z.object({
  decision: z.enum(['activate', 'reject'], { message: 'Choose Activate or Reject' }),
  users: z
    .array(z.object({ userId: uuidSchema, expectedVersion: expectedVersionSchema }), { message: 'Select at least one user' })
    .min(1, { message: 'Select at least one user' })
    .max(BULK_DECIDE_MAX, { message: `Select at most ${BULK_DECIDE_MAX} users at a time` })
    .refine((list) => new Set(list.map((u) => u.userId)).size === list.length, { message: 'A user is selected twice' }),
  /** Only for reject: told to every rejected user. */
  reason: rejectUserInput.shape.reason,
});
export type BulkDecideInput = z.input<typeof bulkDecideInput>;

export const bulkDecideItem = z.object({
  userId: z.string(),
  ok: z.boolean(),
  /** Why it was not decided, in words for the admin ("Already activated by Jane Doe"). */
  message: z.string().nullable(),
  /** The user as it is now (after the decision, or as someone else left it); null when it no longer exists. */
  user: userSnapshotSchema.nullable(),
});
export type BulkDecideItem = z.infer<typeof bulkDecideItem>;

export const bulkDecideOutput = z.object({
  results: z.array(bulkDecideItem),
  succeeded: z.number().int(),
  failed: z.number().int(),
});
export type BulkDecideOutput = z.infer<typeof bulkDecideOutput>;

// ---------------------------------------------------------------------------------------------
// The pending queue (what bulk decisions work on), sorted by how long each request has waited.

export const pendingQueueInput = z.object({
  /** 'oldest' = waiting longest first. */
  sort: z.enum(['oldest', 'newest'], { message: 'Sort by oldest or newest' }).default('oldest'),
  search: userListInput.shape.search,
  cursor: userListInput.shape.cursor,
  limit: userListInput.shape.limit,
});
export type PendingQueueInput = z.input<typeof pendingQueueInput>;
export const pendingQueueOutput = userListOutput;
