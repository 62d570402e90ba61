import { router } from '../trpc/init.js';
import { retentionSettingsOutput, updateRetentionSettingsInput } from '../../shared/schemas/settings-version.js';
import { adminProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { getRetentionSettings, updateRetentionSettings } from './retention-settings.service.js';

/** Settings > General > Data retention: how long delivered mailbox messages, sent outbox rows and events are kept. Mounted at admin.settings.retention. */
export const retentionSettingsRouter = router({
  get: adminProcedure.output(retentionSettingsOutput).query(async ({ ctx }) => {
    const { settings, version } = await getRetentionSettings(ctx.app);
    return { ...settings, version };
  }),
  update: recentAuthAdminProcedure
    .input(updateRetentionSettingsInput)
    .output(retentionSettingsOutput)
    .mutation(async ({ ctx, input }) => {
      const { expectedVersion, ...values } = input;
      const { settings, version } = await updateRetentionSettings(ctx.app, ctx.auth.user, values, expectedVersion);
      return { ...settings, version };
    }),
});
