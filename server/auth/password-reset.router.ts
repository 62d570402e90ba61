import { okOutput } from '../../shared/schemas/auth.js';
import { checkResetTokenOutput, completePasswordResetInput, requestPasswordResetInput, resetTokenInput } from '../../shared/schemas/password-reset.js';
import { router } from '../trpc/init.js';
import { enforceRateLimit, publicProcedure } from '../trpc/procedures.js';
import { checkResetToken, completePasswordReset, requestPasswordReset } from './password-reset.service.js';

// Every request answers after at least this long, whether or not the address has an account, so
// response time does not tell the two apart (the work itself takes a few milliseconds more for a
// real account).
export const RESET_REQUEST_MIN_MS = 150;

/** auth.passwordReset.*: ask for a link, check it, use it. Rate limited before any work. */
export const passwordResetRouter = router({
  /** Always answers { ok: true }, whether or not the address has an account. */
  request: publicProcedure
    .input(requestPasswordResetInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      enforceRateLimit(ctx.app.limits.resetPerIp, ctx.ip);
      enforceRateLimit(ctx.app.limits.resetPerEmail, input.email.toLowerCase());
      const started = performance.now();
      await requestPasswordReset(ctx.app, input.email);
      const wait = RESET_REQUEST_MIN_MS - (performance.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return { ok: true as const };
    }),

  check: publicProcedure
    .input(resetTokenInput)
    .output(checkResetTokenOutput)
    .query(async ({ ctx, input }) => {
      enforceRateLimit(ctx.app.limits.resetTokenPerIp, ctx.ip);
      return checkResetToken(ctx.app, input.token);
    }),

  /** Sets the new password, ends every session of the account, and logs this browser in. */
  complete: publicProcedure
    .input(completePasswordResetInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      enforceRateLimit(ctx.app.limits.resetTokenPerIp, ctx.ip);
      const { cookie } = await completePasswordReset(ctx.app, { token: input.token, password: input.password });
      // Whatever session this browser had (perhaps someone else's) is replaced.
      if (ctx.sessionId) await ctx.app.lucia.invalidateSession(ctx.sessionId).catch(() => undefined);
      ctx.setCookie(cookie);
      return { ok: true as const };
    }),
});
