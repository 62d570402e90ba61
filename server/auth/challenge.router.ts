import { challengeInput, challengeOutput } from '../../shared/schemas/security.js';
import { enforceRateLimit, publicProcedure } from '../trpc/procedures.js';
import { issueFormChallenge } from '../security/bot-protection.js';
import { loginChallengeDifficulty } from '../security/lockout.js';
import { credentialsByEmail } from '../users/users.repository.js';

/**
 * auth.challenge: what a protected form needs before it is submitted (a proof-of-work challenge,
 * a signed form token, whether the honeypot is on). For a login, the challenge is as hard as the
 * account's failed-login state asks. A mutation: every call hands out a new challenge.
 */
export const challengeProcedure = publicProcedure
  .input(challengeInput)
  .output(challengeOutput)
  .mutation(async ({ ctx, input }) => {
    await enforceRateLimit(ctx.app.limits.challengePerIp, ctx.ip);
    if (input.purpose !== 'login') return issueFormChallenge(ctx.app, input.purpose);
    const user = input.email ? await credentialsByEmail(ctx.app.em(), input.email) : null;
    return issueFormChallenge(ctx.app, 'login', await loginChallengeDifficulty(ctx.app, user?.id ?? null));
  });
