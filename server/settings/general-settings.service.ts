import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { GeneralSettings } from '../../shared/schemas/settings.js';
import { readSettings, readSettingsVersioned } from './settings.repository.js';
import { saveSettingKeys } from './settings-version.js';

const GENERAL_KEYS = [
  'portalName',
  'autoApprove',
  'signupEnabled',
  'autoApproveDomains',
  'inviteLifetimeDays',
  'requireEmailVerification',
  'unverifiedLifetimeDays',
] as const satisfies readonly (keyof GeneralSettings)[];

function pickGeneral(s: GeneralSettings): GeneralSettings {
  return {
    portalName: s.portalName,
    autoApprove: s.autoApprove,
    signupEnabled: s.signupEnabled,
    autoApproveDomains: [...s.autoApproveDomains],
    inviteLifetimeDays: s.inviteLifetimeDays,
    requireEmailVerification: s.requireEmailVerification,
    unverifiedLifetimeDays: s.unverifiedLifetimeDays,
  };
}

/**
 * The general settings' version (the REST API's ETag): settings-version.ts's rule (1 + the sum of
 * their stored keys' versions), here from the versions read with the values in one statement.
 */
function generalVersion(versions: Record<string, number>): number {
  return 1 + GENERAL_KEYS.reduce((sum, key) => sum + (versions[key] ?? 0), 0);
}

/** The general settings and their version, from one read. */
export async function getGeneralSettingsVersioned(app: AppServices): Promise<{ settings: GeneralSettings; version: number }> {
  const { settings, versions } = await readSettingsVersioned(app.em());
  return { settings: pickGeneral(settings), version: generalVersion(versions) };
}

/**
 * Saves Settings > General (the input is already validated by generalSettingsSchema). Only the keys
 * that changed are written, and one `settings.changed` event lists them with the acting admin.
 * With `expectedVersion` (the REST API's If-Match, or the version the admin's form was loaded
 * with), only while the settings are still at it: SETTINGS_CHANGED with the current settings
 * otherwise, decided under the settings lock, so of two writers with the same version exactly one
 * wins. Answers the settings and their version after the save.
 */
export function saveGeneralSettings(
  app: AppServices,
  actor: SessionUser,
  input: GeneralSettings,
  expectedVersion?: number,
): Promise<{ settings: GeneralSettings; version: number }> {
  const next: GeneralSettings = { ...pickGeneral(input), autoApproveDomains: [...new Set(input.autoApproveDomains.map((d) => d.toLowerCase()))] };
  return saveSettingKeys(app, actor.id, { keys: GENERAL_KEYS, read: async (em) => pickGeneral(await readSettings(em)), next, expectedVersion });
}
