import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppServices } from '../app-services.js';
import type { SessionUser } from '../../shared/schemas/auth.js';
import { EMPTY_REGISTRATION_FORM, formFieldsSchema, type FormField, type RegistrationForm } from '../../shared/registration-form.js';
import { appendEvent } from '../events/append.js';
import { lockForTransaction } from '../db/locks.js';

interface FormRow {
  version: number;
  fields: unknown;
}

const toForm = (r: FormRow): RegistrationForm => ({ version: r.version, fields: formFieldsSchema.parse(r.fields) });

/** The form the register page shows: the newest published version (version 0, no fields, before any). */
export async function readCurrentForm(em: EntityManager): Promise<RegistrationForm> {
  const rows = await em.execute<FormRow[]>(`select version, fields from registration_form order by version desc limit 1`);
  return rows[0] ? toForm(rows[0]) : EMPTY_REGISTRATION_FORM;
}

/** One published version (old answers are read with their version's labels). */
export async function readFormVersion(em: EntityManager, version: number): Promise<RegistrationForm | null> {
  const rows = await em.execute<FormRow[]>(`select version, fields from registration_form where version = ?`, [version]);
  return rows[0] ? toForm(rows[0]) : null;
}

export async function listFormVersions(em: EntityManager) {
  const rows = await em.execute<{ version: number; created_at: Date; n: number; who: string | null }[]>(
    `select f.version, f.created_at, jsonb_array_length(f.fields) as n, nullif(trim(u.first_name || ' ' || u.last_name), '') as who
       from registration_form f left join app_user u on u.id = f.created_by order by f.version desc limit 50`,
  );
  return rows.map((r) => ({ version: r.version, createdAt: new Date(r.created_at).toISOString(), createdByName: r.who, fieldCount: r.n }));
}

/**
 * Saving publishes a new version (published versions never change, so every answer keeps the
 * labels it was given under). One `registration_form.published` event.
 */
export async function publishForm(app: AppServices, actor: SessionUser, fields: FormField[]): Promise<RegistrationForm> {
  return app.em().transactional(async (tx) => {
    await lockForTransaction(tx, 'settings');
    const rows = await tx.execute<{ v: number | null }[]>(`select max(version) as v from registration_form`);
    const version = (rows[0]?.v ?? 0) + 1;
    await tx.execute(`insert into registration_form (version, fields, created_at, created_by) values (?, ?::jsonb, ?, ?)`, [
      version,
      JSON.stringify(fields),
      app.clock.now(),
      actor.id,
    ]);
    await appendEvent(tx, 'registration_form.published', { version, keys: fields.map((f) => f.key) }, { actorId: actor.id });
    return { version, fields };
  });
}

/** Tests and operators: publishes a version without an acting admin (no event). */
export async function writeRegistrationForm(em: EntityManager, fields: unknown[], now = new Date()): Promise<RegistrationForm> {
  const parsed = formFieldsSchema.parse(fields);
  const rows = await em.execute<{ v: number | null }[]>(`select max(version) as v from registration_form`);
  const version = (rows[0]?.v ?? 0) + 1;
  await em.execute(`insert into registration_form (version, fields, created_at) values (?, ?::jsonb, ?)`, [version, JSON.stringify(parsed), now]);
  return { version, fields: parsed };
}
