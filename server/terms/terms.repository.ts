import type { EntityManager } from '@mikro-orm/postgresql';
import type { TermsVersion } from '../../shared/schemas/terms.js';

export interface VersionRow {
  id: string | number;
  title: string;
  body: string | null;
  url: string | null;
  must_reaccept: boolean;
  created_at: Date | string;
}

export const toVersion = (r: VersionRow): TermsVersion => ({
  id: Number(r.id),
  title: r.title,
  body: r.body,
  url: r.url,
  mustReaccept: r.must_reaccept,
  createdAt: new Date(r.created_at).toISOString(),
});

/** The newest published version (what sign-up and invite acceptance ask for), or null before any. */
export async function latestTerms(em: EntityManager): Promise<TermsVersion | null> {
  const rows = await em.execute<VersionRow[]>(`select * from terms_version order by id desc limit 1`);
  return rows[0] ? toVersion(rows[0]) : null;
}

export async function termsVersions(em: EntityManager): Promise<(TermsVersion & { acceptedCount: number })[]> {
  const rows = await em.execute<(VersionRow & { n: string })[]>(
    `select v.*, (select count(distinct a.user_id) from terms_acceptance a where a.version_id = v.id) as n from terms_version v order by v.id desc limit 100`,
  );
  return rows.map((r) => ({ ...toVersion(r), acceptedCount: Number(r.n) }));
}

export async function insertTermsVersion(
  tx: EntityManager,
  v: { title: string; body: string | null; url: string | null; mustReaccept: boolean; createdBy: string | null },
  now: Date,
): Promise<TermsVersion> {
  const rows = await tx.execute<VersionRow[]>(
    `insert into terms_version (id, title, body, url, must_reaccept, created_at, created_by)
     values ((select coalesce(max(id), 0) + 1 from terms_version), ?, ?, ?, ?, ?, ?) returning *`,
    [v.title, v.body, v.url, v.mustReaccept, now, v.createdBy],
  );
  return toVersion(rows[0]!);
}

/**
 * Whether the user must accept terms before anything else: the newest version published with
 * "must re-accept" (if any) has not been accepted by them, nor any later version.
 * The gate in trpc/procedures.ts runs the same condition (TERMS_GATE_SQL).
 */
export const TERMS_GATE_SQL = `select exists (
  select 1 from terms_version r
   where r.id = (select max(id) from terms_version where must_reaccept)
     and not exists (select 1 from terms_acceptance a where a.user_id = ? and a.version_id >= r.id)) as required`;

export async function mustAcceptTerms(em: EntityManager, userId: string): Promise<boolean> {
  const rows = await em.execute<{ required: boolean }[]>(TERMS_GATE_SQL, [userId]);
  return rows[0]?.required === true;
}

/** Append-only evidence of an acceptance (a trigger refuses updates). */
export async function recordAcceptance(tx: EntityManager, a: { userId: string; versionId: number; ip: string; userAgent: string }, now: Date): Promise<void> {
  await tx.execute(`insert into terms_acceptance (user_id, version_id, accepted_at, ip, user_agent) values (?, ?, ?, ?, ?)`, [
    a.userId,
    a.versionId,
    now,
    a.ip,
    a.userAgent,
  ]);
}

export async function acceptancesOf(em: EntityManager, userId: string) {
  const rows = await em.execute<{ version_id: string | number; title: string; accepted_at: Date | string; ip: string; user_agent: string }[]>(
    `select a.version_id, v.title, a.accepted_at, a.ip, a.user_agent from terms_acceptance a join terms_version v on v.id = a.version_id
      where a.user_id = ? order by a.accepted_at desc, a.id desc`,
    [userId],
  );
  return rows.map((r) => ({
    versionId: Number(r.version_id),
    title: r.title,
    acceptedAt: new Date(r.accepted_at).toISOString(),
    ip: r.ip,
    userAgent: r.user_agent,
  }));
}

/** Active users who have not accepted the latest version (nor a later one: there is none). */
export async function notAccepted(em: EntityManager, versionId: number, limit: number) {
  const cond = `u.status = 'active' and not exists (select 1 from terms_acceptance a where a.user_id = u.id and a.version_id >= ?)`;
  const [count] = await em.execute<{ n: string }[]>(`select count(*) as n from app_user u where ${cond}`, [versionId]);
  const rows = await em.execute<{ id: string; email: string; first_name: string; last_name: string; role: string }[]>(
    `select u.id, u.email, u.first_name, u.last_name, u.role from app_user u where ${cond} order by u.email limit ?`,
    [versionId, limit],
  );
  return { count: Number(count?.n ?? 0), items: rows.map((r) => ({ id: r.id, email: r.email, firstName: r.first_name, lastName: r.last_name, role: r.role })) };
}
