import {
  rejectUserInput,
  userActionInput,
  userActionOutput,
  userDeleteOutput,
  userDetailOutput,
  userIdInput,
  userListInput,
  userListOutput,
  userStatsOutput,
  userTimelineInput,
  userTimelineOutput,
} from '../../shared/schemas/users.js';
import { addUserInput, addUserOutput, reconsiderUserInput, updateUserInput, updateUserOutput } from '../../shared/schemas/user-admin.js';
import { bulkDecideInput, bulkDecideOutput, pendingQueueInput, pendingQueueOutput } from '../../shared/schemas/bulk.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { listUsers, pendingUsers, userTimeline } from './users.repository.js';
import { readUserCounts } from '../events/user-counts.js';
import { activateUser, deactivateUser, deleteUser, getUser, reconsiderUser, rejectUser } from './users.service.js';
import { addUser } from './add-user.service.js';
import { updateUser } from './edit-user.service.js';
import { bulkDecide } from './bulk.service.js';
import { userSessionsAdminRouter } from './sessions.router.js';
import { userLockoutAdminRouter } from './user-lockout.router.js';
import { registrationAnswersRouter } from './registration-answers.router.js';

/** API Consumers > Users (admin.users.*). Thin: validation by the shared schemas, work in the services. */
export const usersRouter = router({
  list: adminProcedure
    .input(userListInput)
    .output(userListOutput)
    .query(({ ctx, input }) => listUsers(ctx.app.em(), input)),

  get: adminProcedure
    .input(userIdInput)
    .output(userDetailOutput)
    .query(({ ctx, input }) => getUser(ctx.app, input.userId)),

  timeline: adminProcedure
    .input(userTimelineInput)
    .output(userTimelineOutput)
    .query(({ ctx, input }) => userTimeline(ctx.app.em(), input.userId, { before: input.before, limit: input.limit })),

  /** Overview figures for the admin shell (the pending count in the navigation). */
  stats: adminProcedure.output(userStatsOutput).query(({ ctx }) => readUserCounts(ctx.app.em())),

  activate: adminProcedure
    .input(userActionInput)
    .output(userActionOutput)
    .mutation(async ({ ctx, input }) => ({ user: await activateUser(ctx.app, ctx.auth.user, input.userId, input.expectedVersion) })),

  reject: adminProcedure
    .input(rejectUserInput)
    .output(userActionOutput)
    .mutation(async ({ ctx, input }) => ({ user: await rejectUser(ctx.app, ctx.auth.user, input.userId, input.expectedVersion, input.reason) })),

  /** Reconsider a rejected registration: back to pending, or activated; email optional. */
  reconsider: adminProcedure
    .input(reconsiderUserInput)
    .output(userActionOutput)
    .mutation(async ({ ctx, input }) => ({ user: await reconsiderUser(ctx.app, ctx.auth.user, input) })),

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

  /** Add new user. */
  add: adminProcedure
    .input(addUserInput)
    .output(addUserOutput)
    .mutation(({ ctx, input }) => addUser(ctx.app, ctx.auth.user, input)),

  /** Edit user. */
  update: adminProcedure
    .input(updateUserInput)
    .output(updateUserOutput)
    .mutation(({ ctx, input }) => updateUser(ctx.app, ctx.auth.user, input)),

  /** The pending queue, and decisions on many of its users in one step. */
  bulk: router({
    /** Pending users sorted by how long they have waited. */
    pending: adminProcedure
      .input(pendingQueueInput)
      .output(pendingQueueOutput)
      .query(({ ctx, input }) => pendingUsers(ctx.app.em(), input)),

    decide: adminProcedure
      .input(bulkDecideInput)
      .output(bulkDecideOutput)
      .mutation(({ ctx, input }) => bulkDecide(ctx.app, ctx.auth.user, input.decision, input.users, input.decision === 'reject' ? input.reason : null)),
  }),

  /** The user's signed-in sessions on the user page: list, end one, end all. */
  sessions: userSessionsAdminRouter,
  /** Failed logins on the user page: count, state, Reset. */
  lockout: userLockoutAdminRouter,
  /** Answers to the sign-up fields: the user page's card, the Pending queue's columns. */
  answers: registrationAnswersRouter,
});
