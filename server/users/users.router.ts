import {
  rejectUserInput,
  userActionInput,
  userActionOutput,
  userDeleteOutput,
  userDetailOutput,
  userIdInput,
  userListInput,
  userListOutput,
  userTimelineInput,
  userTimelineOutput,
} from '../../shared/schemas/users.js';
import { AppError } from '../errors.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { getUserDetail, listUsers, userTimeline } from './users.repository.js';
import { activateUser, deactivateUser, deleteUser, rejectUser } from './users.service.js';

/** API Consumers > Users (admin.users.*). Thin: validation by the shared schemas, work in the service. */
export const usersRouter = router({
  list: adminProcedure
    .input(userListInput)
    .output(userListOutput)
    .query(({ ctx, input }) => listUsers(ctx.app.em(), input)),

  get: adminProcedure
    .input(userIdInput)
    .output(userDetailOutput)
    .query(async ({ ctx, input }) => {
      const user = await getUserDetail(ctx.app.em(), input.userId);
      if (!user) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This user does not exist (it may have been deleted)');
      return user;
    }),

  timeline: adminProcedure
    .input(userTimelineInput)
    .output(userTimelineOutput)
    .query(({ ctx, input }) => userTimeline(ctx.app.em(), input.userId, { before: input.before, limit: input.limit })),

  activate: adminProcedure
    .input(userActionInput)
    .output(userActionOutput)
    .mutation(async ({ ctx, input }) => ({ user: await activateUser(ctx.app, ctx.auth.user, input.userId, input.expectedVersion) })),

  reject: adminProcedure
    .input(rejectUserInput)
    .output(userActionOutput)
    .mutation(async ({ ctx, input }) => ({ user: await rejectUser(ctx.app, ctx.auth.user, input.userId, input.expectedVersion, input.reason) })),

  deactivate: adminProcedure
    .input(userActionInput)
    .output(userActionOutput)
    .mutation(async ({ ctx, input }) => ({ user: await deactivateUser(ctx.app, ctx.auth.user, input.userId, input.expectedVersion) })),

  delete: adminProcedure
    .input(userActionInput)
    .output(userDeleteOutput)
    .mutation(async ({ ctx, input }) => {
      await deleteUser(ctx.app, ctx.auth.user, input.userId, input.expectedVersion);
      return { ok: true as const, userId: input.userId };
    }),
});
