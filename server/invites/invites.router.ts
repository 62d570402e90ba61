import {
  acceptInviteInput,
  inviteActionOutput,
  inviteInspectOutput,
  invitesForUserOutput,
  inviteTokenInput,
  inviteUserInput,
} from '../../shared/schemas/invites.js';
import { okOutput } from '../../shared/schemas/auth.js';
import { AppError } from '../errors.js';
import { router } from '../trpc/init.js';
import { adminProcedure, enforceRateLimit, publicProcedure } from '../trpc/procedures.js';
import { invitesOfUser } from './invites.repository.js';
import { acceptInvite, inspectInvite, revokeInvite, sendInvite } from './invites.service.js';

/** "More Options" on the user page: send, resend, revoke, and where each invite stands (admin.invites.*). */
export const invitesAdminRouter = router({
  forUser: adminProcedure
    .input(inviteUserInput)
    .output(invitesForUserOutput)
    .query(async ({ ctx, input }) => {
      const em = ctx.app.em();
      const rows = await em.execute<{ status: string; has_password: boolean }[]>(
        `select status, password_hash is not null as has_password from app_user where id = ?`,
        [input.userId],
      );
      const u = rows[0];
      if (!u) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'This user does not exist (it may have been deleted)');
      const history = await invitesOfUser(em, input.userId, ctx.app.clock.now());
      return { canInvite: u.status === 'invited' && !u.has_password, latest: history[0] ?? null, history };
    }),

  send: adminProcedure
    .input(inviteUserInput)
    .output(inviteActionOutput)
    .mutation(async ({ ctx, input }) => ({ invite: await sendInvite(ctx.app, ctx.auth.user, input.userId, 'send') })),

  resend: adminProcedure
    .input(inviteUserInput)
    .output(inviteActionOutput)
    .mutation(async ({ ctx, input }) => ({ invite: await sendInvite(ctx.app, ctx.auth.user, input.userId, 'resend') })),

  revoke: adminProcedure
    .input(inviteUserInput)
    .output(inviteActionOutput)
    .mutation(async ({ ctx, input }) => ({ invite: await revokeInvite(ctx.app, ctx.auth.user, input.userId) })),
});

/** The invitee's side (invite.*): public, rate limited per IP before any lookup or hashing. */
export const inviteRouter = router({
  // A mutation, not a query: it records the first opening, and the token stays out of URLs (and
  // so out of proxy access logs).
  inspect: publicProcedure
    .input(inviteTokenInput)
    .output(inviteInspectOutput)
    .mutation(({ ctx, input }) => {
      enforceRateLimit(ctx.app.limits.invitePerIp, ctx.ip);
      return inspectInvite(ctx.app, input.token);
    }),

  accept: publicProcedure
    .input(acceptInviteInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      enforceRateLimit(ctx.app.limits.invitePerIp, ctx.ip);
      const { userId } = await acceptInvite(ctx.app, input);
      // Logged in at once, on a brand-new session replacing whatever this browser had.
      if (ctx.sessionId) await ctx.app.lucia.invalidateSession(ctx.sessionId);
      const session = await ctx.app.lucia.createSession(userId, {});
      ctx.setCookie(ctx.app.lucia.createSessionCookie(session.id).serialize());
      return { ok: true as const };
    }),
});
