import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { FieldChange } from '../../shared/events.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import { DEFAULT_SECURITY_SETTINGS, securitySettingsSchema, type SecuritySettings } from '../../shared/schemas/security.js';
import { appendEvent } from '../events/append.js';
import { lockForTransaction } from '../db/locks.js';
import { readSecuritySettings, SECURITY_SETTINGS_KEY } from '../security/security-settings.js';
import { writeSetting } from './settings.repository.js';
import { readVersioned, settingsChanged, settingsGroupVersion } from './settings-version.js';

const KEYS = Object.keys(DEFAULT_SECURITY_SETTINGS) as (keyof SecuritySettings)[];

const GROUP = [SECURITY_SETTINGS_KEY] as const;

export async function getSecuritySettings(app: AppServices): Promise<{ settings: SecuritySettings; version: number }> {
  return readVersioned(app.em(), GROUP, readSecuritySettings);
}

/**
 * Saves Settings › Security; one `settings.changed` event lists what changed and who changed it.
 * With `expectedVersion` (the version the admin's form was loaded with), only while the settings
 * are still at it: SETTINGS_CHANGED with the current ones otherwise, decided under the settings lock.
 */
export async function updateSecuritySettings(
  app: AppServices,
  actor: SessionUser,
  input: SecuritySettings,
  expectedVersion?: number,
): Promise<{ settings: SecuritySettings; version: number }> {
  const next: SecuritySettings = { ...input, blockedEmailDomains: [...new Set(input.blockedEmailDomains.map((d) => d.toLowerCase()))] };
  return app.em().transactional(async (tx) => {
    await lockForTransaction(tx, 'settings');
    const current = await readSecuritySettings(tx);
    const version = await settingsGroupVersion(tx, GROUP);
    if (expectedVersion !== undefined && version !== expectedVersion) throw settingsChanged(current, version);
    const changes: Record<string, FieldChange> = {};
    for (const key of KEYS) {
      if (JSON.stringify(current[key]) !== JSON.stringify(next[key])) changes[key] = { from: current[key], to: next[key] };
    }
    if (!Object.keys(changes).length) return { settings: next, version };
    await writeSetting(tx, SECURITY_SETTINGS_KEY, next);
    await appendEvent(tx, 'settings.changed', { changes }, { actorId: actor.id });
    return { settings: next, version: version + 1 };
  });
}

/** Tests and operators: writes Settings › Security without an acting admin (no event). */
export async function writeSecuritySettings(em: EntityManager, patch: Partial<SecuritySettings>): Promise<SecuritySettings> {
  const next = securitySettingsSchema.parse({ ...(await readSecuritySettings(em)), ...patch });
  await writeSetting(em, SECURITY_SETTINGS_KEY, next);
  return next;
}
