import type { EntityManager } from '@mikro-orm/postgresql';
import type { UserSnapshot } from '../../shared/events.js';

/** The app_user/organisation columns a UserSnapshot is built from (`u` = app_user, `o` = organisation). */
export const SNAPSHOT_COLUMNS = `u.id, u.email, u.first_name, u.last_name, u.role, u.status, u.organisation_id, o.name as organisation_name, u.created_at, u.version`;

export interface SnapshotRow {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: UserSnapshot['role'];
  status: UserSnapshot['status'];
  organisation_id: string;
  organisation_name: string;
  created_at: Date | string;
  version: number | string;
}

/** A UserSnapshot (also the users list's row shape) from a row selected with SNAPSHOT_COLUMNS. */
export function snapshotFromRow(r: SnapshotRow): UserSnapshot {
  return {
    id: r.id,
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    role: r.role,
    status: r.status,
    organisationId: r.organisation_id,
    organisationName: r.organisation_name,
    createdAt: new Date(r.created_at).toISOString(),
    version: Number(r.version),
  };
}

/** Loads the snapshot carried by user events, straight from the row (inside the caller's transaction). */
export async function loadUserSnapshot(em: EntityManager, userId: string): Promise<UserSnapshot | null> {
  const rows = await em.execute<SnapshotRow[]>(
    `select ${SNAPSHOT_COLUMNS} from app_user u join organisation o on o.id = u.organisation_id where u.id = ?`,
    [userId],
  );
  return rows[0] ? snapshotFromRow(rows[0]) : null;
}

export async function defaultOrganisationId(em: EntityManager): Promise<string> {
  const rows = await em.execute<{ id: string }[]>(`select id from organisation where is_default limit 1`);
  if (!rows[0]) throw new Error('The default organisation is missing; migrations have not run');
  return rows[0].id;
}

/** True for the unique-violation on lower(email). */
export function isEmailTaken(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string };
  return e?.code === '23505' && (e.constraint === 'app_user_email_lower_unique' || /app_user_email_lower_unique/.test(e.message ?? ''));
}
