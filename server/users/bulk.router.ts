import { bulkDecideInput, bulkDecideOutput, pendingQueueInput, pendingQueueOutput } from '../../shared/schemas/bulk.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { bulkDecide, pendingQueue } from './bulk.service.js';

/** admin.users.bulk.*: the pending queue, and decisions on many of its users in one step. */
export const bulkRouter = router({
  /** Pending users sorted by how long they have waited. */
  pending: adminProcedure
    .input(pendingQueueInput)
    .output(pendingQueueOutput)
    .query(({ ctx, input }) => pendingQueue(ctx.app.em(), input)),

  decide: adminProcedure
    .input(bulkDecideInput)
    .output(bulkDecideOutput)
    .mutation(({ ctx, input }) => bulkDecide(ctx.app, ctx.auth.user, input.decision, input.users, input.decision === 'reject' ? input.reason : null)),
});
