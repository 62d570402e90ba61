import { registerInput, registerOutput } from '../../shared/schemas/users.js';
import { enforceRateLimit, publicProcedure } from '../trpc/procedures.js';
import { readSignupContext, registerDeveloper } from './registration.service.js';
import { countSignup } from '../metrics.js';
import { checkEmailDomain, enforceBotProtection } from '../security/bot-protection.js';

/** auth.signup: self-registration on the portal. Rate limited per IP and bot-checked before any hashing. */
export const signupProcedure = publicProcedure
  .input(registerInput)
  .output(registerOutput)
  .mutation(({ ctx, input }) =>
    countSignup(async () => {
      await enforceRateLimit(ctx.app.limits.signupPerIp, ctx.ip);
      // Settings, security settings, form and terms: one statement for the whole request.
      const context = await readSignupContext(ctx.app.em());
      const security = await enforceBotProtection(ctx.app, ctx.ip, 'signup', input.bot, context.security);
      const domain = checkEmailDomain(ctx.app, ctx.ip, security, input.email);
      return registerDeveloper(ctx.app, input, { disposableEmail: domain === 'pending', ip: ctx.ip, userAgent: ctx.userAgent, context });
    }),
  );
