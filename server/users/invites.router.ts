import {
  acceptInviteInput,
  inviteActionOutput,
  inviteInspectOutput,
  invitesForUserOutput,
  inviteTokenInput,
  inviteUserInput,
} from '../../shared/schemas/invites.js';
import { okOutput } from '../../shared/schemas/auth.js';
import { router } from '../trpc/init.js';
import { adminProcedure, enforceRateLimit, publicProcedure } from '../trpc/procedures.js';
import { inspectInvite } from '../invites/invites.service.js';
import { startSession } from '../sessions/session.js';
import { enforceBotProtection } from '../security/bot-protection.js';
import { acceptInvite, invitesForUser, revokeInvite, sendInvite } from './invite-user.service.js';

/** "More Options" on the user page: send, resend, revoke, and where each invite stands (admin.invites.*). */
export const invitesAdminRouter = router({
  forUser: adminProcedure
    .input(inviteUserInput)
    .output(invitesForUserOutput)
    .query(({ ctx, input }) => invitesForUser(ctx.app, input.userId)),

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
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx.app.limits.invitePerIp, ctx.ip);
      return inspectInvite(ctx.app, input.token);
    }),

  accept: publicProcedure
    .input(acceptInviteInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx.app.limits.invitePerIp, ctx.ip);
      await enforceBotProtection(ctx.app, ctx.ip, 'invite', input.bot);
      const { userId } = await acceptInvite(ctx.app, input, { ip: ctx.ip, userAgent: ctx.userAgent });
      // Logged in at once, on a brand-new session replacing whatever this browser had.
      await startSession(ctx, userId);
      return { ok: true as const };
    }),
});
