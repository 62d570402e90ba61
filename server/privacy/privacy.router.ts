import { exportPersonInput, forgetInput, forgetOutput, personExportSchema } from '../../shared/schemas/audit.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { forgetPerson } from './forget.service.js';
import { exportPerson } from './export.service.js';

/** A person's data: Forget (erasure) and Export (access request), from their page. */
export const privacyRouter = router({
  forget: adminProcedure
    .input(forgetInput)
    .output(forgetOutput)
    .mutation(({ ctx, input }) => forgetPerson(ctx.app, ctx.auth.user, input.userId)),
  exportPerson: adminProcedure
    .input(exportPersonInput)
    .output(personExportSchema)
    .query(({ ctx, input }) => exportPerson(ctx.app, input.userId)),
});
