import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { AdminPreferences, UpdateAdminPreferencesInput } from '../../shared/schemas/preferences.js';
import { AppError } from '../errors.js';
import { loadAdminPreferences, updateAdminPreferences } from './users.repository.js';

/** The signed-in admin's own preferences. */
export async function getAdminPreferences(app: AppServices, actor: SessionUser): Promise<AdminPreferences> {
  const prefs = await loadAdminPreferences(app.em(), actor.id);
  if (!prefs) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'User not found');
  return prefs;
}

/** Changes the signed-in admin's own preferences and returns them as stored. */
export async function setAdminPreferences(app: AppServices, actor: SessionUser, input: UpdateAdminPreferencesInput): Promise<AdminPreferences> {
  await updateAdminPreferences(app.em(), actor.id, input);
  return getAdminPreferences(app, actor);
}
