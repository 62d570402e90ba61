import { apiTokenListOutput, createApiTokenInput, createApiTokenOutput, revokeApiTokenInput, revokeApiTokenOutput } from '../../shared/schemas/api-tokens.js';
import { router } from '../trpc/init.js';
import { adminProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { createApiToken, listOwnApiTokens, revokeOwnApiToken } from './api-tokens.service.js';

/** admin.apiTokens.*: Settings › API tokens (the signed-in admin's personal tokens for the REST API). */
export const apiTokensRouter = router({
  list: adminProcedure.output(apiTokenListOutput).query(async ({ ctx }) => ({ items: await listOwnApiTokens(ctx.app, ctx.auth.user) })),
  /** Needs a recent password check (re-authentication): a token outlives the session that made it. */
  create: recentAuthAdminProcedure
    .input(createApiTokenInput)
    .output(createApiTokenOutput)
    .mutation(({ ctx, input }) => createApiToken(ctx.app, ctx.auth.user, input)),
  /** No re-authentication: revoking only takes power away. */
  revoke: adminProcedure
    .input(revokeApiTokenInput)
    .output(revokeApiTokenOutput)
    .mutation(async ({ ctx, input }) => ({ ok: true as const, item: await revokeOwnApiToken(ctx.app, ctx.auth.user, input.id) })),
});
