import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../db/sql.js';
import type { VersionRow } from '../terms/terms.repository.js';

/** What a sign-up reads before hashing, as stored: every setting by key, the newest registration form and terms version. */
export interface SignupReadRow {
  settings: Record<string, unknown>;
  form: { version: number; fields: unknown } | null;
  terms: VersionRow | null;
}

/**
 * Everything a sign-up decides on before hashing, in one statement (one snapshot): the setting
 * table (general, security and password settings alike), the newest published registration form,
 * the newest terms version. Each would otherwise be a round trip of its own.
 */
export async function readSignupRow(em: EntityManager): Promise<SignupReadRow> {
  const rows = await query<SignupReadRow>(
    em,
    `select (select coalesce(json_object_agg(key, value), '{}') from setting) as settings,
            (select row_to_json(f) from (select version, fields from registration_form order by version desc limit 1) f) as form,
            (select row_to_json(t) from (select * from terms_version order by id desc limit 1) t) as terms`,
  );
  return rows[0]!;
}
