import * as z from 'zod/mini';

/**
 * An admin's own preferences (admin.preferences.*), stored per admin on app_user. Today one:
 * the single-key shortcuts of the pending review queue (j, k, x, a, r, o, ?), which WCAG 2.1.4
 * says a person must be able to turn off (speech input users trigger them by accident).
 */
export const adminPreferencesSchema = z.object({
  keyboardShortcuts: z.boolean(),
});
export type AdminPreferences = z.infer<typeof adminPreferencesSchema>;

/** admin.preferences.update: only the preferences given change. */
export const updateAdminPreferencesInput = z.partial(adminPreferencesSchema);
export type UpdateAdminPreferencesInput = z.infer<typeof updateAdminPreferencesInput>;
