import { okOutput } from '../../shared/schemas/auth.js';
import { checkResetTokenOutput, completePasswordResetInput, requestPasswordResetInput, resetTokenInput } from '../../shared/schemas/password-reset.js';
import { router } from '../trpc/init.js';
import { enforceRateLimit, publicProcedure } from '../trpc/procedures.js';
import { startSession } from '../sessions/session.js';
import { enforceBotProtection } from '../security/bot-protection.js';
import { checkResetToken, completePasswordReset, requestPasswordReset } from './password-reset.service.js';

/** auth.passwordReset.*: ask for a link, check it, use it. Rate limited before any work. */
export const passwordResetRouter = router({
  /** Always answers { ok: true }, whether or not the address has an account. */
  request: publicProcedure
    .input(requestPasswordResetInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx.app.limits.resetPerIp, ctx.ip);
      await enforceRateLimit(ctx.app.limits.resetPerEmail, input.email.toLowerCase());
      await enforceBotProtection(ctx.app, ctx.ip, 'reset', input.bot);
      await requestPasswordReset(ctx.app, input.email);
      return { ok: true as const };
    }),

  /** A mutation (POST) so that the token travels in the body, never in a /trpc URL that proxies log. Changes nothing. */
  check: publicProcedure
    .input(resetTokenInput)
    .output(checkResetTokenOutput)
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx.app.limits.resetTokenPerIp, ctx.ip);
      return checkResetToken(ctx.app, input.token);
    }),

  /** Sets the new password, ends every session of the account, and logs this browser in. */
  complete: publicProcedure
    .input(completePasswordResetInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx.app.limits.resetTokenPerIp, ctx.ip);
      const { userId } = await completePasswordReset(ctx.app, { token: input.token, password: input.password });
      // Whatever session this browser had (perhaps someone else's) is replaced.
      await startSession(ctx, userId);
      return { ok: true as const };
    }),
});
