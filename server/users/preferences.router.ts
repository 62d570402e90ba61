import { adminPreferencesSchema, updateAdminPreferencesInput } from '../../shared/schemas/preferences.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { getAdminPreferences, setAdminPreferences } from './preferences.service.js';

/** admin.preferences.*: the signed-in admin's own preferences (the review queue's keyboard shortcuts). */
export const preferencesRouter = router({
  get: adminProcedure.output(adminPreferencesSchema).query(({ ctx }) => getAdminPreferences(ctx.app, ctx.auth.user)),
  update: adminProcedure
    .input(updateAdminPreferencesInput)
    .output(adminPreferencesSchema)
    .mutation(({ ctx, input }) => setAdminPreferences(ctx.app, ctx.auth.user, input)),
});
