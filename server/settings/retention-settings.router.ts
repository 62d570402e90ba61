import { retentionSettingsSchema } from '../../shared/schemas/retention.js';
import { router } from '../trpc/init.js';
import { adminProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { getRetentionSettings, updateRetentionSettings } from './retention-settings.service.js';

/** Settings > General > Data retention: how long delivered mailbox messages, sent outbox rows and events are kept. Mounted at admin.settings.retention. */
export const retentionSettingsRouter = router({
  get: adminProcedure.output(retentionSettingsSchema).query(({ ctx }) => getRetentionSettings(ctx.app)),
  update: recentAuthAdminProcedure
    .input(retentionSettingsSchema)
    .output(retentionSettingsSchema)
    .mutation(({ ctx, input }) => updateRetentionSettings(ctx.app, ctx.auth.user, input)),
});
