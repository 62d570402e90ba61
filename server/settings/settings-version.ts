import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../errors.js';
import { query } from '../db/sql.js';

/**
 * The version of a group of settings (one settings page or card): 1 + the sum of the versions of
 * its stored keys. writeSetting adds 1 to a key's version on every write, whoever makes it, so any
 * change of the group moves the sum and no writer can forget to; with nothing stored it is 1. The
 * general settings' ETag (REST API) is this rule over their keys.
 */
export async function settingsGroupVersion(em: EntityManager, keys: readonly string[]): Promise<number> {
  const rows = await query<{ v: string | number | null }>(
    em,
    `select coalesce(sum(version), 0) as v from setting where key in (${keys.map(() => '?').join(', ')})`,
    keys,
  );
  return 1 + Number(rows[0]?.v ?? 0);
}

/** Someone saved the group after the admin's form was loaded: CONFLICT with what is current now. */
export function settingsChanged(current: unknown, version: number): AppError {
  return new AppError('CONFLICT', 'SETTINGS_CHANGED', 'The settings were changed by someone else in the meantime. Review the current values and try again.', {
    details: { settings: current, version },
  });
}
