import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrganisationDto } from '../../shared/schemas/organisations.js';

interface OrganisationRow {
  id: string;
  name: string;
  is_default: boolean;
  created_at: Date | string;
  user_count: string | number;
  version: number;
}

function toDto(r: OrganisationRow): OrganisationDto {
  return {
    id: r.id,
    name: r.name,
    isDefault: r.is_default,
    userCount: Number(r.user_count),
    createdAt: new Date(r.created_at).toISOString(),
    version: r.version,
  };
}

const SELECT_WITH_COUNT = `
  select o.id, o.name, o.is_default, o.created_at, o.version,
         (select count(*) from app_user u where u.organisation_id = o.id) as user_count
    from organisation o`;

/** Every organisation with its number of users: the default first, then by name. */
export async function listOrganisations(em: EntityManager): Promise<OrganisationDto[]> {
  const rows = await em.execute<OrganisationRow[]>(`${SELECT_WITH_COUNT} order by o.is_default desc, lower(o.name), o.id`);
  return rows.map(toDto);
}

export async function findOrganisation(em: EntityManager, id: string): Promise<OrganisationDto | null> {
  const rows = await em.execute<OrganisationRow[]>(`${SELECT_WITH_COUNT} where o.id = ?`, [id]);
  return rows[0] ? toDto(rows[0]) : null;
}

/** Locks the row for the rest of the transaction (rename and delete decide on what they read). */
export async function lockOrganisation(em: EntityManager, id: string): Promise<{ id: string; name: string; isDefault: boolean; version: number } | null> {
  const rows = await em.execute<{ id: string; name: string; is_default: boolean; version: number }[]>(
    `select id, name, is_default, version from organisation where id = ? for update`,
    [id],
  );
  const r = rows[0];
  return r ? { id: r.id, name: r.name, isDefault: r.is_default, version: r.version } : null;
}

/** True for the unique-violation on lower(name) or on name_key (the same name by shared/text.ts's nameKey). */
export function isOrganisationNameTaken(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string } | null | undefined;
  const re = /organisation_name_lower_unique|organisation_name_key_unique/;
  return e?.code === '23505' && (re.test(e.constraint ?? '') || re.test(e.message ?? ''));
}

/** True when a delete was refused because users still reference the organisation. */
export function isOrganisationInUse(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string } | null | undefined;
  return e?.code === '23503' && (e.constraint === 'app_user_organisation_id_foreign' || /app_user_organisation_id_foreign/.test(e.message ?? ''));
}

/** The organisation new users join. */
export async function defaultOrganisationId(em: EntityManager): Promise<string> {
  const rows = await em.execute<{ id: string }[]>(`select id from organisation where is_default limit 1`);
  if (!rows[0]) throw new Error('The default organisation is missing; migrations have not run');
  return rows[0].id;
}

/** The organisation's name, share-locked so it cannot be deleted before the caller commits (null when it does not exist). */
export async function organisationNameForShare(em: EntityManager, id: string): Promise<string | null> {
  const rows = await em.execute<{ name: string }[]>(`select name from organisation where id = ? for share`, [id]);
  return rows[0]?.name ?? null;
}

/** How many users belong to the organisation (a delete is refused while any do). */
export async function countMembers(em: EntityManager, id: string): Promise<number> {
  const rows = await em.execute<{ n: string }[]>(`select count(*) as n from app_user where organisation_id = ?`, [id]);
  return Number(rows[0]?.n ?? 0);
}
