import { okOutput } from '../../shared/schemas/auth.js';
import { resendVerificationInput, verifyEmailOutput, verifyTokenInfoOutput, verifyTokenInput } from '../../shared/schemas/verification.js';
import { router } from '../trpc/init.js';
import { enforceRateLimit, publicProcedure } from '../trpc/procedures.js';
import { startSession } from '../sessions/session.js';
import { checkVerificationToken, resendVerification, verifyEmail } from './verification.service.js';

/** auth.verifyEmail.*: inspect a link (changes nothing), use it (the page's button), ask for another. */
export const verifyEmailRouter = router({
  // A mutation though it changes nothing: a query would carry the token in a GET URL (and so in access logs).
  check: publicProcedure
    .input(verifyTokenInput)
    .output(verifyTokenInfoOutput)
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx.app.limits.verifyTokenPerIp, ctx.ip);
      return checkVerificationToken(ctx.app, input.token);
    }),

  /** Verifies the address; when the policy makes the account active, this browser is signed in. */
  confirm: publicProcedure
    .input(verifyTokenInput)
    .output(verifyEmailOutput)
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx.app.limits.verifyTokenPerIp, ctx.ip);
      const { userId, status } = await verifyEmail(ctx.app, input.token);
      if (status !== 'active') return { status, signedIn: false };
      // Signed in by the emailed link alone: no password was checked (re-authentication will ask for it).
      await startSession(ctx, userId, { passwordChecked: false });
      return { status, signedIn: true };
    }),

  /** Always answers { ok: true }: only an unverified registration gets a new link. */
  resend: publicProcedure
    .input(resendVerificationInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx.app.limits.verifyResendPerIp, ctx.ip);
      await enforceRateLimit(ctx.app.limits.verifyResendPerEmail, input.email.toLowerCase());
      await resendVerification(ctx.app, input.email);
      return { ok: true as const };
    }),
});
