import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../db/sql.js';
import type { UserDetail, UserListOutput, UserListQuery, UserSnapshot, TimelineEvent } from '../../shared/schemas/users.js';
import type { UserRole, UserStatus } from '../../shared/constants.js';
import type { DomainEventType } from '../../shared/events.js';
import { AppError } from '../errors.js';

// Every statement on app_user lives here (queries only: the use cases, and their transactions,
// live in the *.service.ts files next to this one). Other repositories join app_user only to show
// a name or a count in their own read models (event actors, invite senders, organisation sizes).

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
  const rows = await em.execute<SnapshotRow[]>(`select ${SNAPSHOT_COLUMNS} from app_user u join organisation o on o.id = u.organisation_id where u.id = ?`, [
    userId,
  ]);
  return rows[0] ? snapshotFromRow(rows[0]) : null;
}

/** True for the unique-violation on lower(email). */
export function isEmailTaken(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string } | null | undefined;
  return e?.code === '23505' && (e.constraint === 'app_user_email_lower_unique' || /app_user_email_lower_unique/.test(e.message ?? ''));
}

/**
 * Search (issue 14, point 4): the term matches the start of the email address, of "first last",
 * of the last name or of the email's domain (a leading "@" is allowed: "@acme."), or any part of an
 * answer to the sign-up fields. Each arm has an index of its own (Migration20261214120100_user_search_prefix:
 * lower(...) text_pattern_ops btrees, "first last" covering created_at/id/status so a common name is
 * an index-only scan; a trigram index for the answers), and each keeps exactly its index's expression.
 * Why prefixes and not "anywhere" (the trigram index before): see docs/ARCHITECTURE.md, Search.
 */
const SEARCH_ARMS = [
  `lower(u.email) like ? escape '\\'`,
  `lower(u.first_name || ' ' || u.last_name) like ? escape '\\'`,
  `lower(u.last_name) like ? escape '\\'`,
  `lower(split_part(u.email, '@', 2)) like ? escape '\\'`,
  `(u.registration_answers is not null and admit_answers_text(u.registration_answers) like ? escape '\\')`,
] as const;

/** The LIKE pattern for each of SEARCH_ARMS, in order. */
function searchPatterns(term: string): string[] {
  const t = term.trim().toLowerCase();
  const esc = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c);
  const prefix = `${esc(t)}%`;
  return [prefix, prefix, prefix, t.startsWith('@') ? `${esc(t.slice(1))}%` : prefix, likePattern(t)];
}

/** All arms in one condition (the pending queue: a few thousand rows at most, walked in order). */
function searchCondition(term: string, params: unknown[]): string {
  params.push(...searchPatterns(term));
  return `(${SEARCH_ARMS.join(' or ')})`;
}

/** Keyset position: the sort key of the last row of a page. */
interface Cursor {
  /** 0 = the pending block of the "pending first" order, 1 = everyone else (unused by single-status lists). */
  seg: 0 | 1;
  /** created_at with microseconds, ISO 8601 in UTC: JavaScript dates would lose the microseconds. */
  at: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.seg, c.at, c.id])).toString('base64url');
}

const ISO_US = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A cursor's instant must be one PostgreSQL accepts: the right shape, and a real date and time
 * (no month 13, no February 30th, no year 0), else the query would fail with a 500.
 */
function isRealInstant(s: string): boolean {
  if (!ISO_US.test(s)) return false;
  const d = new Date(s);
  return !Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 1 && d.toISOString().slice(0, 19) === s.slice(0, 19);
}

/** A cursor from a previous page; anything else (forged, garbage, impossible dates) is 400 INVALID_CURSOR. */
export function decodeCursor(raw: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 3) {
      const [seg, at, id] = v as unknown[];
      if ((seg === 0 || seg === 1) && typeof at === 'string' && isRealInstant(at) && typeof id === 'string' && UUID.test(id)) return { seg, at, id };
    }
  } catch {
    /* fall through */
  }
  throw new AppError('BAD_REQUEST', 'INVALID_CURSOR', 'This page link is no longer valid; start from the first page', {
    fieldErrors: { cursor: 'Invalid cursor' },
  });
}

/** `%term%` for LIKE, with the term's own wildcards escaped. */
export function likePattern(term: string): string {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`;
}

const ROW_COLUMNS = `u.id, u.email, u.first_name, u.last_name, u.role, u.status, u.organisation_id, u.created_at, u.version,
  to_char(u.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_key`;

interface RawRow extends SnapshotRow {
  created_key: string;
  seg: number;
}

/**
 * One block of the list: users matching `where`, newest first, after the cursor, at most `limit`.
 * Ordered by (created_at desc, id desc), which the indexes app_user_created_idx and
 * app_user_status_created_idx serve directly; the keyset condition is a row comparison the index
 * scan starts from, so page 10,000 costs what page 1 costs.
 */
function block(seg: 0 | 1, where: string[], after: Cursor | null, params: unknown[], limit: number, search?: string): string {
  if (search) return searchBlock(seg, where, after, params, limit, search);
  const conds = [...where];
  if (after) {
    conds.push(`(u.created_at, u.id) < (?::timestamptz, ?::uuid)`);
    params.push(after.at, after.id);
  }
  params.push(limit);
  return `(select ${ROW_COLUMNS}, ${seg} as seg from app_user u
     ${conds.length ? `where ${conds.join(' and ')}` : ''}
     order by u.created_at desc, u.id desc limit ?)`;
}

/**
 * A block of the list with a search: each arm takes its newest `limit` matches through its own
 * index (a union, not an OR: an OR would be one bitmap scan over the heap, and no index-only scan),
 * then the newest `limit` of those are loaded. `where` holds the status condition, whose `?` (if
 * any) is the first element of `params` pushed by the caller for it: it is repeated for every arm.
 */
function searchBlock(seg: 0 | 1, where: string[], after: Cursor | null, params: unknown[], limit: number, search: string): string {
  const statusParams = params.splice(params.length - where.filter((w) => w.includes('?')).length);
  const patterns = searchPatterns(search);
  const arms = SEARCH_ARMS.map((arm, i) => {
    const conds = [...where, arm];
    params.push(...statusParams, patterns[i]);
    if (after) {
      conds.push(`(u.created_at, u.id) < (?::timestamptz, ?::uuid)`);
      params.push(after.at, after.id);
    }
    params.push(limit);
    return `(select u.created_at, u.id from app_user u where ${conds.join(' and ')} order by u.created_at desc, u.id desc limit ?)`;
  });
  params.push(limit, limit);
  return `(select ${ROW_COLUMNS}, ${seg} as seg from app_user u
     where u.id in (select h.id from (${arms.join(' union ')}) h order by h.created_at desc, h.id desc limit ?)
     order by u.created_at desc, u.id desc limit ?)`;
}

/**
 * Keyset pagination (no OFFSET). With status 'all' the order is "pending first": the pending
 * block, then everyone else, each newest first; the cursor carries which block it stopped in.
 */
export async function listUsers(em: EntityManager, q: UserListQuery): Promise<UserListOutput> {
  const after = q.cursor ? decodeCursor(q.cursor) : null;
  const take = q.limit + 1; // one extra row tells whether a next page exists
  const params: unknown[] = [];
  const search = q.search.trim() || undefined;
  const blocks: string[] = [];
  if (q.status === 'all') {
    if (!after || after.seg === 0) blocks.push(block(0, [`u.status = 'pending'`], after, params, take, search));
    blocks.push(block(1, [`u.status <> 'pending'`], after && after.seg === 1 ? after : null, params, take, search));
  } else {
    params.push(q.status);
    blocks.push(block(1, [`u.status = ?`], after, params, take, search));
  }
  params.push(take);
  const rows = await em.execute<RawRow[]>(
    // Each block is already limited; the outer sort only orders those few rows.
    `with page as (select * from (${blocks.join(' union all ')}) b order by b.seg, b.created_at desc, b.id desc limit ?)
     select p.*, o.name as organisation_name from page p join organisation o on o.id = p.organisation_id
     order by p.seg, p.created_at desc, p.id desc`,
    params,
  );
  const more = rows.length > q.limit;
  const pageRows = more ? rows.slice(0, q.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(snapshotFromRow),
    nextCursor: more && last ? encodeCursor({ seg: last.seg === 0 ? 0 : 1, at: last.created_key, id: last.id }) : null,
  };
}

interface DetailRow {
  id: string;
  first_name: string;
  last_name: string;
  email: string;
  organisation_id: string;
  organisation_name: string;
  role: UserRole;
  status: UserStatus;
  has_password: boolean;
  must_change_password: boolean;
  rejection_reason: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export async function getUserDetail(em: EntityManager, userId: string): Promise<UserDetail | null> {
  const rows = await em.execute<DetailRow[]>(
    `select u.id, u.first_name, u.last_name, u.email, u.organisation_id, o.name as organisation_name, u.role, u.status,
            u.password_hash is not null as has_password, u.must_change_password, u.rejection_reason,
            u.created_at, u.updated_at, u.version
       from app_user u join organisation o on o.id = u.organisation_id where u.id = ?`,
    [userId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    firstName: r.first_name,
    lastName: r.last_name,
    email: r.email,
    organisation: { id: r.organisation_id, name: r.organisation_name },
    role: r.role,
    status: r.status,
    hasPassword: r.has_password,
    mustChangePassword: r.must_change_password,
    rejectionReason: r.rejection_reason,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    version: r.version,
  };
}

/** The user's history, newest first, from domain_event rows about them (index domain_event_user_idx). */
export async function userTimeline(
  em: EntityManager,
  userId: string,
  opts: { before?: number | null; limit: number },
): Promise<{ items: TimelineEvent[]; nextBefore: number | null }> {
  const params: unknown[] = [userId];
  let cond = '';
  if (opts.before) {
    cond = 'and e.id < ?';
    params.push(opts.before);
  }
  params.push(opts.limit + 1);
  // domain_event.id is a bigserial: it arrives as a string.
  const rows = await em.execute<
    {
      id: string;
      type: string;
      actor_id: string | null;
      actor_name: string | null;
      user_id: string | null;
      data: Record<string, unknown> | string;
      created_at: Date;
    }[]
  >(
    `select e.id, e.type, e.actor_id, e.user_id, e.data, e.created_at,
            coalesce(nullif(trim(a.first_name || ' ' || a.last_name), ''),
                     nullif(trim(coalesce(asnap.u->>'firstName', '') || ' ' || coalesce(asnap.u->>'lastName', '')), '')) as actor_name
       from domain_event e left join app_user a on a.id = e.actor_id
       -- A deleted actor keeps their name: the newest snapshot an event about them carried (user.deleted carries the last one).
       left join lateral (select s.data->'user' as u from domain_event s
                           where a.id is null and s.user_id = e.actor_id and s.data->'user' is not null order by s.id desc limit 1) asnap on true
      where e.user_id = ? ${cond}
      order by e.id desc limit ?`,
    params,
  );
  const more = rows.length > opts.limit;
  const page = more ? rows.slice(0, opts.limit) : rows;
  return {
    items: page.map((r) => ({
      id: Number(r.id),
      type: r.type,
      actorId: r.actor_id,
      actorName: r.actor_name,
      userId: r.user_id,
      data: typeof r.data === 'string' ? (JSON.parse(r.data) as Record<string, unknown>) : r.data,
      createdAt: new Date(r.created_at).toISOString(),
    })),
    nextBefore: more ? Number(page[page.length - 1]!.id) : null,
  };
}

/** Every active admin (for "new registration" emails). */
export async function activeAdmins(em: EntityManager): Promise<{ id: string; email: string; firstName: string }[]> {
  const rows = await em.execute<{ id: string; email: string; first_name: string }[]>(
    `select id, email, first_name from app_user where role = 'admin' and status = 'active' order by created_at`,
  );
  return rows.map((r) => ({ id: r.id, email: r.email, firstName: r.first_name }));
}

/**
 * Pending users by how long they have waited (oldest or newest first), keyset-paginated on
 * (created_at, id) like the users list, so the queue can be worked through from either end.
 */
export async function pendingUsers(
  em: EntityManager,
  q: { sort: 'oldest' | 'newest'; search: string; cursor?: string | null | undefined; limit: number },
): Promise<UserListOutput> {
  const asc = q.sort === 'oldest';
  const conds = [`u.status = 'pending'`];
  const params: unknown[] = [];
  if (q.search.trim()) conds.push(searchCondition(q.search, params));
  if (q.cursor) {
    const after = decodeCursor(q.cursor);
    conds.push(`(u.created_at, u.id) ${asc ? '>' : '<'} (?::timestamptz, ?::uuid)`);
    params.push(after.at, after.id);
  }
  params.push(q.limit + 1);
  const dir = asc ? 'asc' : 'desc';
  const rows = await em.execute<(SnapshotRow & { created_key: string })[]>(
    `select ${SNAPSHOT_COLUMNS},
            to_char(u.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_key
       from app_user u join organisation o on o.id = u.organisation_id
      where ${conds.join(' and ')}
      order by u.created_at ${dir}, u.id ${dir} limit ?`,
    params,
  );
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const last = page[page.length - 1];
  return {
    items: page.map(snapshotFromRow),
    nextCursor: more && last ? encodeCursor({ seg: 1, at: last.created_key, id: last.id }) : null,
  };
}

/** The SQL for "first last" of app_user `alias`, null when both are empty (event actors' names). */
export const actorNameSql = (alias: string) => `nullif(trim(coalesce(${alias}.first_name, '') || ' ' || coalesce(${alias}.last_name, '')), '')`;

/** Who appended the newest event of the given type about each user (bulk decisions' messages), with their name while they exist. */
export async function lastActorsOf(
  em: EntityManager,
  wanted: { userId: string; type: DomainEventType }[],
): Promise<Map<string, { actorId: string | null; actorName: string | null }>> {
  if (wanted.length === 0) return new Map();
  const rows = await em.execute<{ user_id: string; actor_id: string | null; actor_name: string | null }[]>(
    `select w.user_id, last.actor_id, last.actor_name
       from jsonb_to_recordset(?::jsonb) as w(user_id uuid, type text)
       cross join lateral (
         select e.actor_id, ${actorNameSql('a')} as actor_name
           from domain_event e left join app_user a on a.id = e.actor_id
          where e.user_id = w.user_id and e.type = w.type order by e.id desc limit 1
       ) last`,
    [JSON.stringify(wanted.map((w) => ({ user_id: w.userId, type: w.type })))],
  );
  return new Map(rows.map((r) => [r.user_id, { actorId: r.actor_id, actorName: r.actor_name }]));
}

// ---------------------------------------------------------------------------------------------
// Reads and writes of single users (inside the callers' transactions)

/** Whether an active admin exists (setup is done once one does). */
export async function activeAdminExists(em: EntityManager): Promise<boolean> {
  const rows = await em.execute<{ n: string }[]>(`select count(*) as n from app_user where role = 'admin' and status = 'active'`);
  return Number(rows[0]?.n ?? 0) > 0;
}

/** Whether any admin exists, in any status (the first-admin setup refuses once one does). */
export async function anyAdminExists(em: EntityManager): Promise<boolean> {
  const rows = await em.execute<{ n: string }[]>(`select count(*) as n from app_user where role = 'admin'`);
  return Number(rows[0]?.n ?? 0) > 0;
}

/** Active admins other than this user (the last-admin guard counts them under its lock). */
export async function countOtherActiveAdmins(em: EntityManager, userId: string): Promise<number> {
  const rows = await em.execute<{ n: string }[]>(`select count(*) as n from app_user where role = 'admin' and status = 'active' and id <> ?`, [userId]);
  return Number(rows[0]?.n ?? 0);
}

export interface NewUser {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  organisationId: string;
  role: UserRole;
  status: UserStatus;
  passwordHash: string | null;
  mustChangePassword: boolean;
  /** Defaults to the transaction's now(). */
  createdAt?: Date;
}

/**
 * Inserts a user at version 1. With `ifEmailFree` an address that is already taken (any letter
 * case, decided by the lower(email) unique index) inserts nothing and returns false; otherwise
 * the unique violation is thrown (see isEmailTaken).
 */
export async function insertUser(em: EntityManager, u: NewUser, opts: { ifEmailFree?: boolean } = {}): Promise<boolean> {
  const at = u.createdAt ?? null;
  const rows = await em.execute<{ id: string }[]>(
    `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?::timestamptz, now()), coalesce(?::timestamptz, now()), 1)
     ${opts.ifEmailFree ? 'on conflict ((lower(email))) do nothing' : ''}
     returning id`,
    [u.id, u.email, u.firstName, u.lastName, u.organisationId, u.role, u.status, u.passwordHash, u.mustChangePassword, at, at],
  );
  return rows.length > 0;
}

/**
 * Self-registration's insert, in one statement: the user joins the default organisation unless the
 * address is taken (the lower(email) unique index decides), and comes back as the snapshot its
 * events carry. Null when the address is taken.
 */
export async function insertIntoDefaultOrganisation(em: EntityManager, u: Omit<NewUser, 'organisationId' | 'createdAt'>): Promise<UserSnapshot | null> {
  // Straight to pg (db/sql.ts): every sign-up runs it.
  const rows = await query<Omit<SnapshotRow, 'id'> & { id: string | null }>(
    em,
    `with o as (select id, name from organisation where is_default limit 1),
          ins as (
            insert into app_user (id, email, first_name, last_name, organisation_id, role, status, password_hash, must_change_password, created_at, updated_at, version)
            select ?::uuid, ?, ?, ?, o.id, ?, ?, ?, ?::boolean, now(), now(), 1 from o
            on conflict ((lower(email))) do nothing
            returning id, email, first_name, last_name, role, status, organisation_id, created_at, version)
     select ins.id, ins.email, ins.first_name, ins.last_name, ins.role, ins.status, ins.organisation_id, o.name as organisation_name, ins.created_at, ins.version
       from o left join ins on true`,
    [u.id, u.email, u.firstName, u.lastName, u.role, u.status, u.passwordHash, u.mustChangePassword],
  );
  const r = rows[0];
  if (!r) throw new Error('The default organisation is missing; migrations have not run');
  return r.id === null ? null : snapshotFromRow({ ...r, id: r.id });
}

/** What a login checks, by address (any letter case). */
export async function credentialsByEmail(
  em: EntityManager,
  email: string,
): Promise<{ id: string; passwordHash: string | null; status: UserStatus; rejectionReason: string | null } | null> {
  const rows = await em.execute<{ id: string; password_hash: string | null; status: UserStatus; rejection_reason: string | null }[]>(
    `select id, password_hash, status, rejection_reason from app_user where lower(email) = lower(?)`,
    [email],
  );
  const r = rows[0];
  return r ? { id: r.id, passwordHash: r.password_hash, status: r.status, rejectionReason: r.rejection_reason } : null;
}

export async function passwordHashOf(em: EntityManager, userId: string): Promise<string | null> {
  const rows = await em.execute<{ password_hash: string | null }[]>(`select password_hash from app_user where id = ?`, [userId]);
  return rows[0]?.password_hash ?? null;
}

/** A user row as the use cases decide on it, read under a row lock. */
export interface LockedUser {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: UserRole;
  status: UserStatus;
  organisationId: string;
  organisationName: string;
  passwordHash: string | null;
  mustChangePassword: boolean;
  version: number;
}

const LOCKED_COLUMNS = `u.id, u.email, u.first_name, u.last_name, u.role, u.status, u.organisation_id, o.name as organisation_name,
  u.password_hash, u.must_change_password, u.version`;

interface LockedRow {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: UserRole;
  status: UserStatus;
  organisation_id: string;
  organisation_name: string;
  password_hash: string | null;
  must_change_password: boolean;
  version: number;
}

function lockedFromRow(r: LockedRow): LockedUser {
  return {
    id: r.id,
    email: r.email,
    firstName: r.first_name,
    lastName: r.last_name,
    role: r.role,
    status: r.status,
    organisationId: r.organisation_id,
    organisationName: r.organisation_name,
    passwordHash: r.password_hash,
    mustChangePassword: r.must_change_password,
    version: r.version,
  };
}

/** Locks the user row for the rest of the transaction and reads it (null when it does not exist). */
export async function lockUser(tx: EntityManager, userId: string): Promise<LockedUser | null> {
  const rows = await tx.execute<LockedRow[]>(
    `select ${LOCKED_COLUMNS} from app_user u join organisation o on o.id = u.organisation_id where u.id = ? for update of u`,
    [userId],
  );
  return rows[0] ? lockedFromRow(rows[0]) : null;
}

/** The same by address (any letter case): concurrent requests for one address queue up on the row. */
export async function lockUserByEmail(tx: EntityManager, email: string): Promise<LockedUser | null> {
  const rows = await tx.execute<LockedRow[]>(
    `select ${LOCKED_COLUMNS} from app_user u join organisation o on o.id = u.organisation_id where lower(u.email) = lower(?) for update of u`,
    [email],
  );
  return rows[0] ? lockedFromRow(rows[0]) : null;
}

/** A person's own name change (account.updateName): first and last name only. */
export async function updateOwnName(tx: EntityManager, userId: string, p: { firstName: string; lastName: string }, now: Date): Promise<void> {
  await tx.execute(`update app_user set first_name = ?, last_name = ?, updated_at = ?, version = version + 1 where id = ?`, [
    p.firstName,
    p.lastName,
    now,
    userId,
  ]);
}

/** Sets a new password hash and clears "must change password". */
export async function setPassword(tx: EntityManager, userId: string, passwordHash: string, now: Date): Promise<void> {
  await tx.execute(`update app_user set password_hash = ?, must_change_password = false, updated_at = ?, version = version + 1 where id = ?`, [
    passwordHash,
    now,
    userId,
  ]);
}

/** Swaps a password hash for an equivalent one (the NFC rehash at login); no-op if the hash changed meanwhile. */
export async function replacePasswordHash(em: EntityManager, userId: string, oldHash: string, newHash: string): Promise<void> {
  await em.execute(`update app_user set password_hash = ? where id = ? and password_hash = ?`, [newHash, userId, oldHash]);
}

/**
 * Locks many user rows for the rest of the transaction, in id order (two transactions locking
 * overlapping sets this way queue up instead of deadlocking), and reads their snapshots. Users
 * that no longer exist are simply absent.
 */
export async function lockUsersInIdOrder(tx: EntityManager, userIds: readonly string[]): Promise<UserSnapshot[]> {
  if (userIds.length === 0) return [];
  const rows = await tx.execute<SnapshotRow[]>(
    `select ${SNAPSHOT_COLUMNS} from app_user u join organisation o on o.id = u.organisation_id
      where u.id = any(?::uuid[]) order by u.id for update of u`,
    [`{${userIds.join(',')}}`],
  );
  return rows.map(snapshotFromRow);
}

/** setStatus for many users in one statement; returns their snapshots after the change, in id order. */
export async function setStatusOfMany(
  tx: EntityManager,
  userIds: readonly string[],
  status: UserStatus,
  rejectionReason: string | null,
): Promise<UserSnapshot[]> {
  if (userIds.length === 0) return [];
  const rows = await tx.execute<SnapshotRow[]>(
    `update app_user u set status = ?, rejection_reason = ?, version = u.version + 1, updated_at = now()
       from organisation o
      where o.id = u.organisation_id and u.id = any(?::uuid[])
      returning ${SNAPSHOT_COLUMNS}`,
    [status, rejectionReason, `{${userIds.join(',')}}`],
  );
  return rows.map(snapshotFromRow).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function setStatus(tx: EntityManager, userId: string, status: UserStatus, rejectionReason: string | null): Promise<void> {
  await tx.execute(`update app_user set status = ?, rejection_reason = ?, version = version + 1, updated_at = now() where id = ?`, [
    status,
    rejectionReason,
    userId,
  ]);
}

export async function updateProfile(
  tx: EntityManager,
  userId: string,
  p: { firstName: string; lastName: string; organisationId: string; role: UserRole },
  now: Date,
): Promise<void> {
  await tx.execute(`update app_user set first_name = ?, last_name = ?, organisation_id = ?, role = ?, updated_at = ?, version = version + 1 where id = ?`, [
    p.firstName,
    p.lastName,
    p.organisationId,
    p.role,
    now,
    userId,
  ]);
}

/**
 * An invited user who sets a password becomes active, with the address verified (the invite link proved it) (only while still invited and without a
 * password). Returns the address and first name, or null when that no longer holds.
 */
export async function activateInvitedUser(
  tx: EntityManager,
  userId: string,
  p: { passwordHash: string; firstName: string; lastName: string },
  now: Date,
): Promise<{ email: string; firstName: string } | null> {
  const rows = await tx.execute<{ email: string; first_name: string }[]>(
    `update app_user set password_hash = ?, first_name = ?, last_name = ?, status = 'active', must_change_password = false,
            email_verified_at = coalesce(email_verified_at, ?), updated_at = ?, version = version + 1
      where id = ? and status = 'invited' and password_hash is null
      returning email, first_name`,
    [p.passwordHash, p.firstName, p.lastName, now, now, userId],
  );
  const r = rows[0];
  return r ? { email: r.email, firstName: r.first_name } : null;
}

/** Whether the user may be invited (no password yet); null when the user does not exist. */
export async function inviteEligibility(em: EntityManager, userId: string): Promise<{ canInvite: boolean } | null> {
  const rows = await em.execute<{ status: string; has_password: boolean }[]>(
    `select status, password_hash is not null as has_password from app_user where id = ?`,
    [userId],
  );
  const r = rows[0];
  return r ? { canInvite: r.status === 'invited' && !r.has_password } : null;
}

export async function deleteUserRow(tx: EntityManager, userId: string): Promise<void> {
  await tx.execute(`delete from app_user where id = ?`, [userId]);
}

// ---------------------------------------------------------------------------------------------
// Email verification (issue 12): `unverified` registrations and email_verified_at

/**
 * The owner of an unverified registration proved the address: it takes the status the policy
 * chose (active or pending). Returns false when the user is no longer unverified.
 */
export async function setVerifiedStatus(tx: EntityManager, userId: string, status: 'active' | 'pending', now: Date): Promise<boolean> {
  const rows = await tx.execute<{ id: string }[]>(
    `update app_user set status = ?, email_verified_at = ?, updated_at = ?, version = version + 1
      where id = ? and status = 'unverified' returning id`,
    [status, now, now, userId],
  );
  return rows.length > 0;
}

/** Deletes unverified registrations created before `before` (at most `limit`) and returns their snapshots. */
export async function deleteUnverifiedBefore(tx: EntityManager, before: Date, limit: number): Promise<UserSnapshot[]> {
  const rows = await tx.execute<SnapshotRow[]>(
    `with doomed as (
       select id from app_user where status = 'unverified' and created_at < ? order by created_at limit ? for update skip locked
     )
     delete from app_user u using organisation o, doomed d
      where u.id = d.id and o.id = u.organisation_id
      returning ${SNAPSHOT_COLUMNS}`,
    [before, limit],
  );
  return rows.map(snapshotFromRow);
}

/** Stores a developer's answers to the sign-up fields, with the version of the form they answered. */
export async function setRegistrationAnswers(tx: EntityManager, userId: string, formVersion: number, answers: Record<string, string | boolean>): Promise<void> {
  await tx.execute(`update app_user set registration_answers = ?::jsonb, registration_form_version = ? where id = ?`, [
    JSON.stringify(answers),
    formVersion,
    userId,
  ]);
}

/** The answers of these users (those who have any), with the form version each answered. */
export async function registrationAnswersOf(
  em: EntityManager,
  userIds: string[],
): Promise<{ userId: string; formVersion: number | null; answers: Record<string, string | boolean> }[]> {
  if (!userIds.length) return [];
  const rows = await em.execute<{ id: string; v: number | null; a: Record<string, string | boolean> }[]>(
    `select id, registration_form_version as v, registration_answers as a from app_user where id = any(?::uuid[]) and registration_answers is not null`,
    [`{${userIds.join(',')}}`],
  );
  return rows.map((r) => ({ userId: r.id, formVersion: r.v, answers: r.a }));
}

/** An admin's own preferences (admin.preferences.get). */
export async function loadAdminPreferences(em: EntityManager, userId: string): Promise<{ keyboardShortcuts: boolean } | null> {
  const rows = await em.execute<{ keyboard_shortcuts: boolean }[]>(`select keyboard_shortcuts from app_user where id = ?`, [userId]);
  return rows[0] ? { keyboardShortcuts: rows[0].keyboard_shortcuts } : null;
}

/** Changes an admin's own preferences; a preference left out keeps its value. Not a change to the account (no version bump, no event). */
export async function updateAdminPreferences(em: EntityManager, userId: string, prefs: { keyboardShortcuts?: boolean }): Promise<void> {
  await em.execute(`update app_user set keyboard_shortcuts = coalesce(?, keyboard_shortcuts) where id = ?`, [prefs.keyboardShortcuts ?? null, userId]);
}
