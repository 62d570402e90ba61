import { router } from '../trpc/init.js';
import { securitySettingsOutput, updateSecuritySettingsInput } from '../../shared/schemas/settings-version.js';
import { adminProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { getSecuritySettings, updateSecuritySettings } from './security-settings.service.js';

/** Settings > Security: bot protection, disposable and blocked email domains, login lockouts. Mounted at admin.settings.security. */
export const securitySettingsRouter = router({
  get: adminProcedure.output(securitySettingsOutput).query(async ({ ctx }) => {
    const { settings, version } = await getSecuritySettings(ctx.app);
    return { ...settings, version };
  }),
  update: recentAuthAdminProcedure
    .input(updateSecuritySettingsInput)
    .output(securitySettingsOutput)
    .mutation(async ({ ctx, input }) => {
      const { expectedVersion, ...values } = input;
      const { settings, version } = await updateSecuritySettings(ctx.app, ctx.auth.user, values, expectedVersion);
      return { ...settings, version };
    }),
});
