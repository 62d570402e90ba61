import { registerInput, registerOutput } from '../../shared/schemas/users.js';
import { enforceRateLimit, publicProcedure } from '../trpc/procedures.js';
import { registerDeveloper } from './registration.service.js';
import { countSignup } from '../metrics.js';

/** auth.signup: self-registration on the portal. Rate limited per IP before any hashing. */
export const signupProcedure = publicProcedure
  .input(registerInput)
  .output(registerOutput)
  .mutation(({ ctx, input }) =>
    countSignup(async () => {
      enforceRateLimit(ctx.app.limits.signupPerIp, ctx.ip);
      return registerDeveloper(ctx.app, input);
    }),
  );
