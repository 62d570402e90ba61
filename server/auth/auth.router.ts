import { loginInput, meOutput, okOutput, setupInput } from '../../shared/schemas/auth.js';
import { readSettings } from '../settings/settings.repository.js';
import { endSession, startSession } from '../sessions/session.js';
import { ownSessionsRouter } from '../users/sessions.router.js';
import { passwordPolicyOutput } from '../../shared/schemas/session-settings.js';
import { PASSWORD_MAX } from '../../shared/constants.js';
import { readPasswordMinLength } from '../settings/session-settings.service.js';
import { signupProcedure } from '../users/registration.router.js';
import { verifyEmailRouter } from '../users/verification.router.js';
import { router } from '../trpc/init.js';
import { enforceRateLimit, publicProcedure } from '../trpc/procedures.js';
import * as auth from './auth.service.js';
import { countLogin } from '../metrics.js';
import { changePasswordProcedure } from './change-password.router.js';
import { confirmPasswordProcedure } from './reauth.router.js';
import { passwordResetRouter } from './password-reset.router.js';
import { challengeProcedure } from './challenge.router.js';
import { termsAuthRouter } from '../terms/terms.router.js';
import { registrationFormOutputProcedure } from '../settings/registration-form.router.js';

export const authRouter = router({
  signup: signupProcedure,
  challenge: challengeProcedure,
  verifyEmail: verifyEmailRouter,
  passwordReset: passwordResetRouter,
  /** The sign-up fields the register page shows (Settings › Registration form). */
  registrationForm: registrationFormOutputProcedure,
  /** The terms sign-up asks to accept; the re-accept page. */
  terms: termsAuthRouter,

  me: publicProcedure
    .meta({ allowWhilePasswordChangeRequired: true, allowWhileTermsAcceptanceRequired: true })
    .output(meOutput)
    .query(async ({ ctx }) => {
      const [needsSetup, settings] = await Promise.all([auth.adminExists(ctx.app).then((x) => !x), readSettings(ctx.app.em())]);
      return { user: ctx.auth?.user ?? null, needsSetup, portalName: settings.portalName, signupEnabled: settings.signupEnabled };
    }),

  setup: publicProcedure
    .input(setupInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx.app.limits.setupPerIp, ctx.ip);
      const userId = await auth.createFirstAdmin(ctx.app, input);
      await startSession(ctx, userId);
      return { ok: true as const };
    }),

  login: publicProcedure
    .input(loginInput)
    .output(okOutput)
    .mutation(({ ctx, input }) =>
      countLogin(async () => {
        await enforceRateLimit(ctx.app.limits.loginPerIp, ctx.ip);
        // No per-email limit here: a stranger could use it to keep the owner out. Accounts are protected by lockouts instead.
        const { userId } = await auth.checkCredentials(ctx.app, input, ctx);
        // Only a successful login replaces the session this browser had; a failed one leaves it as it was.
        await startSession(ctx, userId);
        return { ok: true as const };
      }),
    ),

  changePassword: changePasswordProcedure,

  /** Re-authentication: proves the password again so sensitive admin changes are allowed for 10 minutes. */
  confirmPassword: confirmPasswordProcedure,

  /** The signed-in user's sessions (list, end one, end all others). */
  sessions: ownSessionsRouter,

  /** What a new password must be (pages choosing one show it; the server enforces it). */
  passwordPolicy: publicProcedure
    .output(passwordPolicyOutput)
    .query(async ({ ctx }) => ({ minLength: await readPasswordMinLength(ctx.app.em()), maxLength: PASSWORD_MAX })),

  logout: publicProcedure
    .meta({ allowWhilePasswordChangeRequired: true, allowWhileTermsAcceptanceRequired: true })
    .output(okOutput)
    .mutation(async ({ ctx }) => {
      await endSession(ctx);
      return { ok: true as const };
    }),
});
