import { lockoutStateOutput, lockoutUserInput } from '../../shared/schemas/security.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { getLockout, resetLockout } from './user-lockout.service.js';

/** The user page's failed-login card (admin.users.lockout.*): the count and state, and Reset. */
export const userLockoutAdminRouter = router({
  get: adminProcedure
    .input(lockoutUserInput)
    .output(lockoutStateOutput)
    .query(({ ctx, input }) => getLockout(ctx.app, input.userId)),
  reset: adminProcedure
    .input(lockoutUserInput)
    .output(lockoutStateOutput)
    .mutation(({ ctx, input }) => resetLockout(ctx.app, ctx.auth.user, input.userId)),
});
