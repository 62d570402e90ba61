import { securitySettingsSchema } from '../../shared/schemas/security.js';
import { router } from '../trpc/init.js';
import { adminProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { getSecuritySettings, updateSecuritySettings } from './security-settings.service.js';

/** Settings > Security: bot protection, disposable and blocked email domains, login lockouts. Mounted at admin.settings.security. */
export const securitySettingsRouter = router({
  get: adminProcedure.output(securitySettingsSchema).query(({ ctx }) => getSecuritySettings(ctx.app)),
  update: recentAuthAdminProcedure
    .input(securitySettingsSchema)
    .output(securitySettingsSchema)
    .mutation(({ ctx, input }) => updateSecuritySettings(ctx.app, ctx.auth.user, input)),
});
