import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { FieldChange } from '../../shared/events.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import { DEFAULT_MAIL_CAP_SETTINGS, mailCapSettingsSchema, type MailCapSettings } from '../../shared/schemas/mail-safety.js';
import { appendEvent } from '../events/append.js';
import { lockForTransaction } from '../db/locks.js';
import { readSetting, writeSetting } from '../settings/settings.repository.js';
import { readVersioned, settingsChanged, settingsGroupVersion } from '../settings/settings-version.js';

/** Settings > Emails: the per-recipient cap, under one key of the setting table. */
export const MAIL_CAPS_KEY = 'mailCaps';
const CAPS_KEY = MAIL_CAPS_KEY;

/** The cap in force; a stored value that no longer validates falls back to the defaults. */
export async function readMailCaps(em: EntityManager): Promise<MailCapSettings> {
  return mailCapsFrom(await readSetting<Partial<MailCapSettings>>(em, CAPS_KEY));
}

/** The same from the stored value (outbox.ts reads it with the counts it is compared with). */
export function mailCapsFrom(stored: Partial<MailCapSettings> | undefined): MailCapSettings {
  const parsed = mailCapSettingsSchema.safeParse({ ...DEFAULT_MAIL_CAP_SETTINGS, ...stored });
  return parsed.success ? parsed.data : { ...DEFAULT_MAIL_CAP_SETTINGS };
}

/** The cap in force and its version (settings-version.ts). */
export async function readMailCapsVersioned(em: EntityManager): Promise<{ settings: MailCapSettings; version: number }> {
  return readVersioned(em, [CAPS_KEY], readMailCaps);
}

/**
 * Saves the cap; one settings.changed event says what changed and who changed it. With
 * `expectedVersion` (the version the admin's form was loaded with), only while the cap is still at
 * it: SETTINGS_CHANGED with the current one otherwise, decided under the settings lock.
 */
export async function saveMailCaps(
  app: AppServices,
  actor: SessionUser | null,
  input: MailCapSettings,
  expectedVersion?: number,
): Promise<{ settings: MailCapSettings; version: number }> {
  return app.em().transactional(async (tx) => {
    await lockForTransaction(tx, 'settings');
    const current = await readMailCaps(tx);
    const version = await settingsGroupVersion(tx, [CAPS_KEY]);
    if (expectedVersion !== undefined && version !== expectedVersion) throw settingsChanged(current, version);
    const changes: Record<string, FieldChange> = {};
    for (const key of Object.keys(DEFAULT_MAIL_CAP_SETTINGS) as (keyof MailCapSettings)[]) {
      if (current[key] !== input[key]) changes[key] = { from: current[key], to: input[key] };
    }
    if (!Object.keys(changes).length) return { settings: input, version };
    await writeSetting(tx, CAPS_KEY, input);
    if (actor) await appendEvent(tx, 'settings.changed', { changes }, { actorId: actor.id });
    return { settings: input, version: version + 1 };
  });
}
