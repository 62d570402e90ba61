import {
  createOrganisationInput,
  deleteOrganisationInput,
  deleteOrganisationOutput,
  organisationListOutput,
  organisationSchema,
  renameOrganisationInput,
} from '../../shared/schemas/organisations.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { listOrganisations } from './organisations.repository.js';
import * as organisations from './organisations.service.js';

/** API Consumers > Organisations (admin.organisations.*). */
export const organisationsRouter = router({
  list: adminProcedure.output(organisationListOutput).query(async ({ ctx }) => ({ items: await listOrganisations(ctx.app.em()) })),

  create: adminProcedure
    .input(createOrganisationInput)
    .output(organisationSchema)
    .mutation(({ ctx, input }) => organisations.createOrganisation(ctx.app, ctx.auth.user.id, input)),

  rename: adminProcedure
    .input(renameOrganisationInput)
    .output(organisationSchema)
    .mutation(({ ctx, input }) => organisations.renameOrganisation(ctx.app, ctx.auth.user.id, { id: input.id, name: input.name }, input.expectedVersion)),

  delete: adminProcedure
    .input(deleteOrganisationInput)
    .output(deleteOrganisationOutput)
    .mutation(async ({ ctx, input }) => {
      await organisations.deleteOrganisation(ctx.app, ctx.auth.user.id, input.id, input.expectedVersion);
      return { ok: true as const };
    }),
});
