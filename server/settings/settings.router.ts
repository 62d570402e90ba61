import { router } from '../trpc/init.js';
import { generalSettingsRouter } from './general-settings.router.js';
import { emailSettingsRouter } from './email-settings.router.js';

/** admin.settings.*: one sub-router per Settings tab. */
export const settingsRouter = router({
  general: generalSettingsRouter,
  emails: emailSettingsRouter,
});
