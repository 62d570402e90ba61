import { loginInput, meOutput, okOutput, setupInput } from '../../shared/schemas/auth.js';
import { readSettings } from '../settings/settings.repository.js';
import { router } from '../trpc/init.js';
import { enforceRateLimit, publicProcedure } from '../trpc/procedures.js';
import { AppError } from '../errors.js';
import * as auth from './auth.service.js';
import { changePasswordProcedure } from './change-password.router.js';
import { signupProcedure } from './registration.router.js';
import { passwordResetRouter } from './password-reset.router.js';

export const authRouter = router({
  signup: signupProcedure,
  passwordReset: passwordResetRouter,

  me: publicProcedure
    .meta({ allowWhilePasswordChangeRequired: true })
    .output(meOutput)
    .query(async ({ ctx }) => {
      const [needsSetup, settings] = await Promise.all([auth.adminExists(ctx.app).then((x) => !x), readSettings(ctx.app.em())]);
      return { user: ctx.auth?.user ?? null, needsSetup, portalName: settings.portalName, signupEnabled: settings.signupEnabled };
    }),

  setup: publicProcedure
    .input(setupInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      enforceRateLimit(ctx.app.limits.setupPerIp, ctx.ip);
      if (await auth.adminExists(ctx.app)) {
        throw new AppError('FORBIDDEN', 'SETUP_DONE', 'Setup is already complete: an administrator exists. Please log in.');
      }
      await auth.createFirstAdmin(ctx.app, input);
      const { cookie } = await auth.login(ctx.app, { email: input.email, password: input.password });
      ctx.setCookie(cookie);
      return { ok: true as const };
    }),

  login: publicProcedure
    .input(loginInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      enforceRateLimit(ctx.app.limits.loginPerIp, ctx.ip);
      enforceRateLimit(ctx.app.limits.loginPerEmail, input.email.toLowerCase());
      // A login replaces whatever session this browser had.
      if (ctx.sessionId) await ctx.app.lucia.invalidateSession(ctx.sessionId);
      const { cookie } = await auth.login(ctx.app, input);
      ctx.setCookie(cookie);
      return { ok: true as const };
    }),

  changePassword: changePasswordProcedure,

  logout: publicProcedure
    .meta({ allowWhilePasswordChangeRequired: true })
    .output(okOutput)
    .mutation(async ({ ctx }) => {
      if (ctx.sessionId) ctx.setCookie(await auth.logout(ctx.app, ctx.sessionId));
      else ctx.setCookie(ctx.app.lucia.createBlankSessionCookie().serialize());
      return { ok: true as const };
    }),
});
