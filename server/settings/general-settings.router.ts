import { generalSettingsOutput, updateGeneralSettingsInput } from '../../shared/schemas/settings.js';
import { router } from '../trpc/init.js';
import { adminProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { getGeneralSettingsVersioned, saveGeneralSettings } from './general-settings.service.js';

/** Settings > General: the portal's registration policy. Mounted at admin.settings.general. */
export const generalSettingsRouter = router({
  get: adminProcedure.output(generalSettingsOutput).query(async ({ ctx }) => {
    const { settings, version } = await getGeneralSettingsVersioned(ctx.app);
    return { ...settings, version };
  }),
  update: recentAuthAdminProcedure
    .input(updateGeneralSettingsInput)
    .output(generalSettingsOutput)
    .mutation(async ({ ctx, input }) => {
      const { expectedVersion, ...values } = input;
      const { settings, version } = await saveGeneralSettings(ctx.app, ctx.auth.user, values, expectedVersion);
      return { ...settings, version };
    }),
});
