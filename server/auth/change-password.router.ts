import { changePasswordInput, changePasswordOutput } from '../../shared/schemas/change-password.js';
import { authedProcedure, enforceRateLimit } from '../trpc/procedures.js';
import { changePassword } from './change-password.service.js';

/**
 * auth.changePassword: the one procedure (with me and logout) a user who must change their
 * password can reach. Attempts count against the per-account login limit: guessing the current
 * password here is a login attempt by other means.
 */
export const changePasswordProcedure = authedProcedure
  .meta({ allowWhilePasswordChangeRequired: true, allowWhileTermsAcceptanceRequired: true })
  .input(changePasswordInput)
  .output(changePasswordOutput)
  .mutation(async ({ ctx, input }) => {
    await enforceRateLimit(ctx.app.limits.loginPerEmail, ctx.auth.user.email.toLowerCase());
    const { otherSessionsRevoked } = await changePassword(ctx.app, { userId: ctx.auth.user.id, sessionId: ctx.auth.sessionId }, input);
    return { ok: true as const, otherSessionsRevoked };
  });
