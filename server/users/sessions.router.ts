import { okOutput } from '../../shared/schemas/auth.js';
import { sessionIdInput, sessionListOutput, sessionsEndedOutput, userSessionInput, userSessionsInput } from '../../shared/schemas/sessions.js';
import { router } from '../trpc/init.js';
import { listSessions } from '../sessions/sessions.service.js';
import { adminProcedure, authedProcedure } from '../trpc/procedures.js';
import { endSessionOfUser, endSessionsOfUser } from './user-sessions.service.js';

/** A user's own sessions (auth.sessions.*): the "Sessions" card on /home. */
export const ownSessionsRouter = router({
  list: authedProcedure.output(sessionListOutput).query(async ({ ctx }) => ({ sessions: await listSessions(ctx.app, ctx.auth.user.id, ctx.auth.sessionId) })),

  /** Ends one session (this device's too: the page then shows the login). */
  revoke: authedProcedure
    .input(sessionIdInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await endSessionOfUser(ctx.app, ctx.auth.user.id, ctx.auth.user.id, input.sessionId);
      return { ok: true as const };
    }),

  /** "End all others": every session but this one. */
  revokeOthers: authedProcedure
    .output(sessionsEndedOutput)
    .mutation(async ({ ctx }) => ({ ok: true as const, ended: await endSessionsOfUser(ctx.app, ctx.auth.user.id, ctx.auth.user.id, ctx.auth.sessionId) })),
});

/** A user's sessions on the admin user page (admin.users.sessions.*). */
export const userSessionsAdminRouter = router({
  list: adminProcedure
    .input(userSessionsInput)
    .output(sessionListOutput)
    .query(async ({ ctx, input }) => ({ sessions: await listSessions(ctx.app, input.userId, ctx.auth.sessionId) })),

  revoke: adminProcedure
    .input(userSessionInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await endSessionOfUser(ctx.app, ctx.auth.user.id, input.userId, input.sessionId);
      return { ok: true as const };
    }),

  revokeAll: adminProcedure
    .input(userSessionsInput)
    .output(sessionsEndedOutput)
    .mutation(async ({ ctx, input }) => ({ ok: true as const, ended: await endSessionsOfUser(ctx.app, ctx.auth.user.id, input.userId, null) })),
});
