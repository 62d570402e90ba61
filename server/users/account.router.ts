import { accountOutput, updateOwnNameInput } from '../../shared/schemas/account.js';
import { router } from '../trpc/init.js';
import { authedProcedure } from '../trpc/procedures.js';
import { getAccount, updateOwnAccountName } from './account.service.js';

/** account.*: the signed-in person's own account (the developer home). */
export const accountRouter = router({
  get: authedProcedure.output(accountOutput).query(({ ctx }) => getAccount(ctx.app, ctx.auth.user)),
  updateName: authedProcedure
    .input(updateOwnNameInput)
    .output(accountOutput)
    .mutation(({ ctx, input }) => updateOwnAccountName(ctx.app, ctx.auth.user, input)),
});
