import { bulkDecideInput, bulkDecideOutput } from '../../shared/schemas/bulk.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { bulkDecide } from './bulk.service.js';

/** admin.bulk.*: decisions on many users in one step. */
export const bulkRouter = router({
  decide: adminProcedure
    .input(bulkDecideInput)
    .output(bulkDecideOutput)
    .mutation(({ ctx, input }) => bulkDecide(ctx.app, ctx.auth.user, input.decision, input.users, input.decision === 'reject' ? input.reason : null)),
});
