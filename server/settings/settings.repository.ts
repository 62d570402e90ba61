import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../db/sql.js';
import { DEFAULT_SETTINGS, type AllSettings } from '../../shared/schemas/settings.js';

/** Reads every setting, falling back to its default. Keys in the table are the AllSettings keys. */
export async function readSettings(em: EntityManager): Promise<AllSettings> {
  const rows = await query<{ key: string; value: unknown }>(em, `select key, value from setting`);
  return settingsFromValues(Object.fromEntries(rows.map((r) => [r.key, r.value])));
}

/** AllSettings from the stored values by key (readSettings, or a caller that read the table with more in one statement). */
export function settingsFromValues(values: Record<string, unknown>): AllSettings {
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const [key, value] of Object.entries(values)) if (key in DEFAULT_SETTINGS) out[key] = value;
  return out as AllSettings;
}

/** Reads one raw setting value (e.g. an email template override), or undefined. */
export async function readSetting<T>(em: EntityManager, key: string): Promise<T | undefined> {
  const rows = await query<{ value: T }>(em, `select value from setting where key = ?`, [key]);
  return rows[0]?.value;
}

/**
 * Every setting (defaults filled in) and each stored key's version, from one read: the REST API's
 * ETag is computed from the same rows as the values it goes with. Never cached.
 */
export async function readSettingsVersioned(em: EntityManager): Promise<{ settings: AllSettings; versions: Record<string, number> }> {
  const rows = await query<{ key: string; value: unknown; version: number | string }>(em, `select key, value, version from setting`);
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  const versions: Record<string, number> = {};
  for (const r of rows) {
    versions[r.key] = Number(r.version);
    if (r.key in DEFAULT_SETTINGS) out[r.key] = r.value;
  }
  return { settings: out as AllSettings, versions };
}

/** Inserts or replaces a setting; a replaced row's version goes up by one (the general settings' ETag follows it). */
export async function writeSetting(em: EntityManager, key: string, value: unknown): Promise<void> {
  await query(
    em,
    `insert into setting (key, value, updated_at) values (?, ?::jsonb, now())
     on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at, version = setting.version + 1`,
    [key, JSON.stringify(value)],
  );
}

export async function deleteSetting(em: EntityManager, key: string): Promise<void> {
  await query(em, `delete from setting where key = ?`, [key]);
}
