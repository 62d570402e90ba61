import { addUserInput, addUserOutput, updateUserInput, updateUserOutput } from '../../shared/schemas/user-admin.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { addUser } from './add-user.service.js';
import { updateUser } from './edit-user.service.js';

/** Add new user and Edit user (admin.users.*). */
export const userAdminRouter = router({
  add: adminProcedure
    .input(addUserInput)
    .output(addUserOutput)
    .mutation(({ ctx, input }) => addUser(ctx.app, ctx.auth.user, input)),

  update: adminProcedure
    .input(updateUserInput)
    .output(updateUserOutput)
    .mutation(({ ctx, input }) => updateUser(ctx.app, ctx.auth.user, input)),
});
