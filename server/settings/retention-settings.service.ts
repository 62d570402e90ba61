import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import { DEFAULT_RETENTION_SETTINGS, retentionSettingsSchema, type RetentionSettings } from '../../shared/schemas/retention.js';
import { readSetting } from './settings.repository.js';
import { readVersioned, saveSettingKeys } from './settings-version.js';

// Settings > General > Data retention. Stored in `setting` under these keys, like the other settings.
const KEYS = ['mailboxRetentionDays', 'sentOutboxRetentionDays', 'eventRetentionDays'] as const satisfies readonly (keyof RetentionSettings)[];

/** The stored values, each falling back to its default when absent or no longer valid. */
export async function readRetentionSettings(em: EntityManager): Promise<RetentionSettings> {
  const out: RetentionSettings = { ...DEFAULT_RETENTION_SETTINGS };
  for (const key of KEYS) {
    const v = await readSetting<unknown>(em, key);
    if (typeof v === 'number' || (v === null && key === 'eventRetentionDays')) (out as Record<string, unknown>)[key] = v;
  }
  return retentionSettingsSchema.safeParse(out).success ? out : { ...DEFAULT_RETENTION_SETTINGS };
}

export async function getRetentionSettings(app: AppServices): Promise<{ settings: RetentionSettings; version: number }> {
  const em = app.em();
  return readVersioned(em, KEYS, readRetentionSettings);
}

/**
 * Saves the card (input already validated); only changed keys are written, in one `settings.changed` event.
 * With `expectedVersion` (the version the admin's form was loaded with), only while the settings are
 * still at it: SETTINGS_CHANGED with the current ones otherwise, decided under the settings lock.
 */
export function updateRetentionSettings(
  app: AppServices,
  actor: SessionUser,
  input: RetentionSettings,
  expectedVersion?: number,
): Promise<{ settings: RetentionSettings; version: number }> {
  const next: RetentionSettings = {
    mailboxRetentionDays: input.mailboxRetentionDays,
    sentOutboxRetentionDays: input.sentOutboxRetentionDays,
    eventRetentionDays: input.eventRetentionDays,
  };
  return saveSettingKeys(app, actor.id, { keys: KEYS, read: readRetentionSettings, next, expectedVersion });
}
