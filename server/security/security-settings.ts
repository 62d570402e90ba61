import type { EntityManager } from '@mikro-orm/postgresql';
import { DEFAULT_SECURITY_SETTINGS, securitySettingsSchema, type SecuritySettings } from '../../shared/schemas/security.js';
import { readSecurityValue } from './security.repository.js';

/** Settings › Security lives under one key of the setting table, merged over the defaults. */
export const SECURITY_SETTINGS_KEY = 'security';

const KEYS = Object.keys(DEFAULT_SECURITY_SETTINGS) as (keyof SecuritySettings)[];

/**
 * Reads Settings › Security. Read on every protected request (one small query), so a change made
 * on one process applies on every process at once. A stored value that no longer validates (an
 * older release's shape) falls back to its default, key by key.
 */
export async function readSecuritySettings(em: EntityManager): Promise<SecuritySettings> {
  return securitySettingsFrom(await readSecurityValue<Partial<SecuritySettings>>(em, SECURITY_SETTINGS_KEY));
}

/** Settings › Security from the stored value (undefined when none), as readSecuritySettings reads it. */
export function securitySettingsFrom(value: Partial<SecuritySettings> | undefined): SecuritySettings {
  const stored = value ?? {};
  const parsed = securitySettingsSchema.safeParse({ ...DEFAULT_SECURITY_SETTINGS, ...stored });
  if (parsed.success) return parsed.data;
  const out: Record<string, unknown> = { ...DEFAULT_SECURITY_SETTINGS };
  for (const key of KEYS) {
    const one = securitySettingsSchema.safeParse({ ...DEFAULT_SECURITY_SETTINGS, [key]: stored[key] });
    if (one.success) out[key] = one.data[key];
  }
  return out as SecuritySettings;
}
