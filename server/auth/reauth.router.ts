import { confirmPasswordInput, confirmPasswordOutput } from '../../shared/schemas/reauth.js';
import { authedProcedure, enforceRateLimit } from '../trpc/procedures.js';
import { confirmPassword } from './reauth.service.js';

/**
 * auth.confirmPassword: proves the password again for this session (the re-authentication prompt,
 * client/lib/reauth.ts). Limited per address like login, and counted by the login lockouts.
 */
export const confirmPasswordProcedure = authedProcedure
  .input(confirmPasswordInput)
  .output(confirmPasswordOutput)
  .mutation(async ({ ctx, input }) => {
    await enforceRateLimit(ctx.app.limits.loginPerIp, ctx.ip);
    const checkedAt = await confirmPassword(ctx.app, { userId: ctx.auth.user.id, sessionId: ctx.auth.sessionId }, input, ctx);
    return { ok: true as const, checkedAt: checkedAt.toISOString() };
  });
