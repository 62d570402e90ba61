import type { EntityManager } from '@mikro-orm/postgresql';
import { snapshotFromRow, type SnapshotRow } from './users.snapshot.js';
import type { UserDetail, UserListOutput, UserListQuery, UserRow, TimelineEvent } from '../../shared/schemas/users.js';
import { AppError } from '../errors.js';

// Queries only: the use cases (and their transactions) live in users.service.ts.

/**
 * The search expression. The trigram index app_user_search_trgm is built on exactly this
 * expression (see Migration20261128110000_user_search), so keep the two identical.
 */
const SEARCH_EXPR = `lower(u.first_name || ' ' || u.last_name || ' ' || u.email)`;

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

export function decodeCursor(raw: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 3 && (v[0] === 0 || v[0] === 1) && typeof v[1] === 'string' && ISO_US.test(v[1]) && typeof v[2] === 'string' && UUID.test(v[2])) {
      return { seg: v[0], at: v[1], id: v[2] };
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
function block(seg: 0 | 1, where: string[], after: Cursor | null, params: unknown[], limit: number): string {
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
 * Keyset pagination (no OFFSET). With status 'all' the order is "pending first": the pending
 * block, then everyone else, each newest first; the cursor carries which block it stopped in.
 */
export async function listUsers(em: EntityManager, q: UserListQuery): Promise<UserListOutput> {
  const after = q.cursor ? decodeCursor(q.cursor) : null;
  const take = q.limit + 1; // one extra row tells whether a next page exists
  const params: unknown[] = [];
  const search: string[] = [];
  const searchParams: unknown[] = [];
  if (q.search) {
    search.push(`${SEARCH_EXPR} like ? escape '\\'`);
    searchParams.push(likePattern(q.search));
  }
  const blocks: string[] = [];
  if (q.status === 'all') {
    if (!after || after.seg === 0) {
      params.push(...searchParams);
      blocks.push(block(0, [`u.status = 'pending'`, ...search], after, params, take));
    }
    params.push(...searchParams);
    blocks.push(block(1, [`u.status <> 'pending'`, ...search], after && after.seg === 1 ? after : null, params, take));
  } else {
    params.push(q.status, ...searchParams);
    blocks.push(block(1, [`u.status = ?`, ...search], after, params, take));
  }
  params.push(take);
  const rows = await em.execute<RawRow[]>(
    // Each block is already limited; the outer sort only orders those few rows.
    `with page as (select * from (${blocks.join(' union all ')}) b order by b.seg, b.created_at desc, b.id desc limit ?)
     select p.*, o.name as organisation_name from page p join organisation o on o.id = p.organisation_id
     order by p.seg, p.created_at desc, p.id desc`,
    params as any[],
  );
  const more = rows.length > q.limit;
  const pageRows = more ? rows.slice(0, q.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(snapshotFromRow),
    nextCursor: more && last ? encodeCursor({ seg: Number(last.seg) === 0 ? 0 : 1, at: last.created_key, id: last.id }) : null,
  };
}

export async function getUserDetail(em: EntityManager, userId: string): Promise<UserDetail | null> {
  const rows = await em.execute<any[]>(
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
    hasPassword: Boolean(r.has_password),
    mustChangePassword: Boolean(r.must_change_password),
    rejectionReason: r.rejection_reason,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    version: Number(r.version),
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
  const rows = await em.execute<any[]>(
    `select e.id, e.type, e.actor_id, e.user_id, e.data, e.created_at,
            nullif(trim(a.first_name || ' ' || a.last_name), '') as actor_name
       from domain_event e left join app_user a on a.id = e.actor_id
      where e.user_id = ? ${cond}
      order by e.id desc limit ?`,
    params as any[],
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
      data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data,
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
