import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { FieldChange } from '../../shared/events.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import { DEFAULT_RETENTION_SETTINGS, retentionSettingsSchema, type RetentionSettings } from '../../shared/schemas/retention.js';
import { appendEvent } from '../events/append.js';
import { lockForTransaction } from '../db/locks.js';
import { readSetting, writeSetting } from './settings.repository.js';
import { settingsChanged, settingsGroupVersion } from './settings-version.js';

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
  return { settings: await readRetentionSettings(em), version: await settingsGroupVersion(em, KEYS) };
}

/**
 * Saves the card (input already validated); only changed keys are written, in one `settings.changed` event.
 * With `expectedVersion` (the version the admin's form was loaded with), only while the settings are
 * still at it: SETTINGS_CHANGED with the current ones otherwise, decided under the settings lock.
 */
export async function updateRetentionSettings(
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
  return app.em().transactional(async (tx) => {
    await lockForTransaction(tx, 'settings');
    const current = await readRetentionSettings(tx);
    const version = await settingsGroupVersion(tx, KEYS);
    if (expectedVersion !== undefined && version !== expectedVersion) throw settingsChanged(current, version);
    const changes: Record<string, FieldChange> = {};
    for (const key of KEYS) {
      if (current[key] !== next[key]) {
        changes[key] = { from: current[key], to: next[key] };
        await writeSetting(tx, key, next[key]);
      }
    }
    const written = Object.keys(changes).length;
    if (written) await appendEvent(tx, 'settings.changed', { changes }, { actorId: actor.id });
    // Each write added exactly 1 (a replaced row's version + 1, or a new row at 1).
    return { settings: next, version: version + written };
  });
}
