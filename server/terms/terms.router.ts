import {
  acceptTermsInput,
  currentTermsOutput,
  notAcceptedOutput,
  publishTermsInput,
  termsVersionSchema,
  termsVersionsOutput,
  userAcceptancesInput,
  userAcceptancesOutput,
} from '../../shared/schemas/terms.js';
import { okOutput } from '../../shared/schemas/auth.js';
import { router } from '../trpc/init.js';
import { adminProcedure, authedProcedure, publicProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { acceptancesOf, latestTerms, mustAcceptTerms, notAccepted, termsVersions } from './terms.repository.js';
import { acceptLatestTerms, publishTerms } from './terms.service.js';

/** Settings > Terms: publish versions, see who has not accepted the latest. Mounted at admin.settings.terms. */
export const termsAdminRouter = router({
  versions: adminProcedure.output(termsVersionsOutput).query(({ ctx }) => termsVersions(ctx.app.em())),
  publish: recentAuthAdminProcedure
    .input(publishTermsInput)
    .output(termsVersionSchema)
    .mutation(({ ctx, input }) => publishTerms(ctx.app, ctx.auth.user, input)),
  notAccepted: adminProcedure.output(notAcceptedOutput).query(async ({ ctx }) => {
    const latest = await latestTerms(ctx.app.em());
    if (!latest) return { versionId: null, count: 0, items: [] };
    return { versionId: latest.id, ...(await notAccepted(ctx.app.em(), latest.id, 200)) };
  }),
  /** The user page: what this user accepted and when. */
  forUser: adminProcedure
    .input(userAcceptancesInput)
    .output(userAcceptancesOutput)
    .query(({ ctx, input }) => acceptancesOf(ctx.app.em(), input.userId)),
});

/** auth.terms: what sign-up asks to accept, and the re-accept page. Both pass the terms gate. */
export const termsAuthRouter = router({
  current: publicProcedure
    .meta({ allowWhileTermsAcceptanceRequired: true })
    .output(currentTermsOutput)
    .query(async ({ ctx }) => ({
      version: await latestTerms(ctx.app.em()),
      mustAccept: ctx.auth ? await mustAcceptTerms(ctx.app.em(), ctx.auth.user.id) : false,
    })),
  accept: authedProcedure
    .meta({ allowWhileTermsAcceptanceRequired: true })
    .input(acceptTermsInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await acceptLatestTerms(ctx.app, ctx.auth.user.id, input.versionId, { ip: ctx.ip, userAgent: ctx.userAgent });
      return { ok: true as const };
    }),
});
