import { generalSettingsSchema } from '../../shared/schemas/settings.js';
import { router } from '../trpc/init.js';
import { adminProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { getGeneralSettings, updateGeneralSettings } from './general-settings.service.js';

/** Settings > General: the portal's registration policy. Mounted at admin.settings.general. */
export const generalSettingsRouter = router({
  get: adminProcedure.output(generalSettingsSchema).query(({ ctx }) => getGeneralSettings(ctx.app)),
  update: recentAuthAdminProcedure
    .input(generalSettingsSchema)
    .output(generalSettingsSchema)
    .mutation(({ ctx, input }) => updateGeneralSettings(ctx.app, ctx.auth.user, input)),
});
