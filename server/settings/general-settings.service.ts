import type { AppServices } from '../app-services.js';
import type { FieldChange } from '../../shared/events.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import type { GeneralSettings } from '../../shared/schemas/settings.js';
import { appendEvent } from '../events/append.js';
import { readSettings, readSettingsVersioned, writeSetting } from './settings.repository.js';
import { lockForTransaction } from '../db/locks.js';
import { settingsChanged } from './settings-version.js';

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

export async function getGeneralSettings(app: AppServices): Promise<GeneralSettings> {
  return pickGeneral(await readSettings(app.em()));
}

/**
 * The general settings' version (the REST API's ETag): 1 + the sum of their stored keys' versions.
 * Every write of one of those keys adds at least 1 (writeSetting), whoever makes it, so any change
 * gives a new, higher number; with nothing stored (all defaults) it is 1.
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
 * Saves Settings > General (the input is already validated by generalSettingsSchema). Only the
 * keys that changed are written, and one `settings.changed` event lists them with the acting admin.
 */
export async function updateGeneralSettings(app: AppServices, actor: SessionUser, input: GeneralSettings): Promise<GeneralSettings> {
  return (await saveGeneralSettings(app, actor, input, undefined)).settings;
}

/**
 * The same, for the REST API's If-Match: only while the settings' version is still
 * `expectedVersion` (SETTINGS_CHANGED with the current settings otherwise). Decided under the
 * settings lock, so of two writers with the same version exactly one wins. Answers the version
 * after the write, read in the same transaction.
 */
/** The same, with the version after the save; with `expectedVersion` (the admin's form) as updateGeneralSettingsIfMatch. */
export async function saveGeneralSettingsVersioned(
  app: AppServices,
  actor: SessionUser,
  input: GeneralSettings,
  expectedVersion: number | undefined,
): Promise<{ settings: GeneralSettings; version: number }> {
  return saveGeneralSettings(app, actor, input, expectedVersion);
}

export async function updateGeneralSettingsIfMatch(
  app: AppServices,
  actor: SessionUser,
  input: GeneralSettings,
  expectedVersion: number,
): Promise<{ settings: GeneralSettings; version: number }> {
  return saveGeneralSettings(app, actor, input, expectedVersion);
}

async function saveGeneralSettings(
  app: AppServices,
  actor: SessionUser,
  input: GeneralSettings,
  expectedVersion: number | undefined,
): Promise<{ settings: GeneralSettings; version: number }> {
  const next: GeneralSettings = { ...pickGeneral(input), autoApproveDomains: [...new Set(input.autoApproveDomains.map((d) => d.toLowerCase()))] };
  return app.em().transactional(async (tx) => {
    await lockForTransaction(tx, 'settings');
    const read = await readSettingsVersioned(tx);
    const current = pickGeneral(read.settings);
    if (expectedVersion !== undefined && generalVersion(read.versions) !== expectedVersion) throw settingsChanged(current, generalVersion(read.versions));
    const changes: Record<string, FieldChange> = {};
    for (const key of GENERAL_KEYS) {
      if (JSON.stringify(current[key]) !== JSON.stringify(next[key])) {
        changes[key] = { from: current[key], to: next[key] };
        await writeSetting(tx, key, next[key]);
      }
    }
    const written = Object.keys(changes).length;
    if (written) await appendEvent(tx, 'settings.changed', { changes }, { actorId: actor.id });
    // Each write added exactly 1 (a replaced row's version + 1, or a new row at 1).
    return { settings: next, version: generalVersion(read.versions) + written };
  });
}
