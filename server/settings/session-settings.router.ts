import { router } from '../trpc/init.js';
import { sessionSettingsOutput, updateSessionSettingsInput } from '../../shared/schemas/settings-version.js';
import { adminProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { getSessionSettings, updateSessionSettings } from './session-settings.service.js';

/** Settings > Sessions & passwords: idle timeout, absolute lifetime, minimum password length. Mounted at admin.settings.sessions. */
export const sessionSettingsRouter = router({
  get: adminProcedure.output(sessionSettingsOutput).query(async ({ ctx }) => {
    const { settings, version } = await getSessionSettings(ctx.app);
    return { ...settings, version };
  }),
  update: recentAuthAdminProcedure
    .input(updateSessionSettingsInput)
    .output(sessionSettingsOutput)
    .mutation(async ({ ctx, input }) => {
      const { expectedVersion, ...values } = input;
      const { settings, version } = await updateSessionSettings(ctx.app, ctx.auth.user, values, expectedVersion);
      return { ...settings, version };
    }),
});
