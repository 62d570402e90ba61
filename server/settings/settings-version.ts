import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { FieldChange } from '../../shared/events.js';
import { AppError } from '../errors.js';
import { query } from '../db/sql.js';
import { lockForTransaction } from '../db/locks.js';
import { appendEvent } from '../events/append.js';
import { writeSetting } from './settings.repository.js';

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

/**
 * A group's values and version. The version is read first: a save landing in between then makes
 * the pair look older than it is (the next save with it is refused, and shows what is current),
 * never newer (which would let a save with it overwrite values the reader never saw).
 */
export async function readVersioned<S>(
  em: EntityManager,
  keys: readonly string[],
  read: (em: EntityManager) => Promise<S>,
): Promise<{ settings: S; version: number }> {
  const version = await settingsGroupVersion(em, keys);
  return { settings: await read(em), version };
}

/** Someone saved the group after the admin's form was loaded: CONFLICT with what is current now. */
export function settingsChanged(current: unknown, version: number): AppError {
  return new AppError('CONFLICT', 'SETTINGS_CHANGED', 'The settings were changed by someone else in the meantime. Review the current values and try again.', {
    details: { settings: current, version },
  });
}

/**
 * Saves a page stored one `setting` row per key (General, Sessions & passwords, Data retention, the
 * email sender). Under the settings lock: with `expectedVersion`, refuses unless the group is still
 * at it (SETTINGS_CHANGED with what `read` answers); writes only the keys whose value changed; one
 * `settings.changed` event lists them with the acting admin. Answers `next` and the version after
 * the save (each write adds exactly 1: a replaced row's version + 1, or a new row at 1).
 */
export async function saveSettingKeys<K extends string, S extends Record<K, unknown>>(
  app: AppServices,
  actorId: string,
  group: { keys: readonly K[]; read: (em: EntityManager) => Promise<S>; next: S; expectedVersion: number | undefined },
): Promise<{ settings: S; version: number }> {
  return app.em().transactional(async (tx) => {
    await lockForTransaction(tx, 'settings');
    const current = await group.read(tx);
    const version = await settingsGroupVersion(tx, group.keys);
    if (group.expectedVersion !== undefined && version !== group.expectedVersion) throw settingsChanged(current, version);
    const changes: Record<string, FieldChange> = {};
    for (const key of group.keys) {
      if (JSON.stringify(current[key]) === JSON.stringify(group.next[key])) continue;
      changes[key] = { from: current[key], to: group.next[key] } as FieldChange;
      await writeSetting(tx, key, group.next[key]);
    }
    const written = Object.keys(changes).length;
    if (written) await appendEvent(tx, 'settings.changed', { changes }, { actorId });
    return { settings: group.next, version: version + written };
  });
}
