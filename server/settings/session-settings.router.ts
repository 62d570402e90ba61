import { sessionSettingsSchema } from '../../shared/schemas/session-settings.js';
import { router } from '../trpc/init.js';
import { adminProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { getSessionSettings, updateSessionSettings } from './session-settings.service.js';

/** Settings > Sessions & passwords: idle timeout, absolute lifetime, minimum password length. Mounted at admin.settings.sessions. */
export const sessionSettingsRouter = router({
  get: adminProcedure.output(sessionSettingsSchema).query(({ ctx }) => getSessionSettings(ctx.app)),
  update: recentAuthAdminProcedure
    .input(sessionSettingsSchema)
    .output(sessionSettingsSchema)
    .mutation(({ ctx, input }) => updateSessionSettings(ctx.app, ctx.auth.user, input)),
});
