import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import { DEFAULT_SESSION_SETTINGS, sessionSettingsSchema, type SessionSettings } from '../../shared/schemas/session-settings.js';
import { readSetting } from './settings.repository.js';
import { readVersioned, saveSettingKeys } from './settings-version.js';
import { assertAcceptableNewPassword } from '../security/password-policy.js';

// Settings > Sessions & passwords. Stored in `setting` under these keys, like the general settings.
const KEYS = ['sessionIdleTimeoutMinutes', 'sessionAbsoluteLifetimeHours', 'passwordMinLength'] as const satisfies readonly (keyof SessionSettings)[];

/** The stored values, each falling back to its default when absent or no longer valid. */
export async function readSessionSettings(em: EntityManager): Promise<SessionSettings> {
  const values: Record<string, unknown> = {};
  for (const key of KEYS) values[key] = await readSetting<unknown>(em, key);
  return sessionSettingsFrom(values);
}

/** The same from the stored values by key (a caller that read the setting table in one statement). */
export function sessionSettingsFrom(values: Record<string, unknown>): SessionSettings {
  const out: SessionSettings = { ...DEFAULT_SESSION_SETTINGS };
  for (const key of KEYS) {
    const v = values[key];
    if (typeof v === 'number') out[key] = v;
  }
  return sessionSettingsSchema.safeParse(out).success ? out : { ...DEFAULT_SESSION_SETTINGS };
}

/** The session store's policy (see sessions/session-store.ts), in milliseconds. */
export async function readSessionPolicy(em: EntityManager): Promise<{ idleTimeoutMs: number; absoluteLifetimeMs: number }> {
  const s = await readSessionSettings(em);
  return { idleTimeoutMs: s.sessionIdleTimeoutMinutes * 60_000, absoluteLifetimeMs: s.sessionAbsoluteLifetimeHours * 3_600_000 };
}

export async function readPasswordMinLength(em: EntityManager): Promise<number> {
  return (await readSessionSettings(em)).passwordMinLength;
}

/**
 * Refuses a NEW password that breaks the rules (security/password-policy.ts) under the current
 * minimum length: BAD_REQUEST, reason WEAK_PASSWORD, the message on `field`.
 */
export async function checkNewPassword(em: EntityManager, password: string, field = 'password'): Promise<void> {
  await assertAcceptableNewPassword(password, await readPasswordMinLength(em), field);
}

export async function getSessionSettings(app: AppServices): Promise<{ settings: SessionSettings; version: number }> {
  const em = app.em();
  return readVersioned(em, KEYS, readSessionSettings);
}

/**
 * Saves the tab (input already validated); only changed keys are written, in one `settings.changed` event.
 * With `expectedVersion` (the version the admin's form was loaded with), only while the settings are
 * still at it: SETTINGS_CHANGED with the current ones otherwise, decided under the settings lock.
 */
export function updateSessionSettings(
  app: AppServices,
  actor: SessionUser,
  input: SessionSettings,
  expectedVersion?: number,
): Promise<{ settings: SessionSettings; version: number }> {
  const next: SessionSettings = {
    sessionIdleTimeoutMinutes: input.sessionIdleTimeoutMinutes,
    sessionAbsoluteLifetimeHours: input.sessionAbsoluteLifetimeHours,
    passwordMinLength: input.passwordMinLength,
  };
  return saveSettingKeys(app, actor.id, { keys: KEYS, read: readSessionSettings, next, expectedVersion });
}
