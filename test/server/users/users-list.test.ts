import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sqlCount, type TestApp } from '../../support/app.js';
import { adminSession } from '../../support/users.js';
import { rawPost } from '../../support/http.js';
import type { UserRow } from '../../../shared/schemas/users.js';

type Caller = Awaited<ReturnType<typeof adminSession>>['caller'];

/** Walks every page and returns all rows, checking each page's size. */
async function walk(caller: Caller, input: { status?: any; search?: string; limit: number }): Promise<UserRow[]> {
  const out: UserRow[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const page: { items: UserRow[]; nextCursor: string | null } = await caller.admin.users.list({ ...input, cursor });
    expect(page.items.length).toBeLessThanOrEqual(input.limit);
    if (page.nextCursor) expect(page.items).toHaveLength(input.limit);
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

describe('API Consumers > Users list', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  const statuses = ['pending', 'active', 'rejected', 'inactive', 'invited'] as const;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
    // 60 users over a spread of times; several share the exact same created_at (ties broken by id).
    const em = app.services.em();
    for (let i = 0; i < 60; i++) {
      const status = statuses[i % 5]!;
      const minutesAgo = i < 10 ? 500 : i; // ten users registered at the very same instant
      await em.execute(
        `insert into app_user (id, email, first_name, last_name, organisation_id, role, status, created_at, updated_at, version)
         values (?, ?, ?, ?, (select id from organisation where is_default), 'developer', ?, timestamptz '2026-01-01T12:00:00.123456Z' - make_interval(mins => ?), now(), 1)`,
        [
          randomUUID(),
          `person${i}@${i % 2 ? 'acme' : 'globex'}.test`,
          i === 7 ? 'Zoë' : `First${i}`,
          i === 8 ? 'Per%cent_Under' : `Last${i}`,
          status,
          minutesAgo,
        ],
      );
    }
  });
  afterAll(() => app.stop());

  it('by default lists pending users first, then everyone else, each newest first, with organisation and role', async () => {
    const rows = await walk(admin.caller, { limit: 7 });
    expect(rows).toHaveLength(61);
    expect(new Set(rows.map((r) => r.id)).size).toBe(61); // no duplicates across pages
    const firstNonPending = rows.findIndex((r) => r.status !== 'pending');
    expect(firstNonPending).toBe(12);
    expect(rows.slice(firstNonPending).every((r) => r.status !== 'pending')).toBe(true);
    for (const block of [rows.slice(0, 12), rows.slice(12)]) {
      for (let i = 1; i < block.length; i++) {
        const a = block[i - 1]!;
        const b = block[i]!;
        expect(a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id), `${a.email} before ${b.email}`).toBe(true);
      }
    }
    expect(rows[0]).toMatchObject({ role: 'developer', organisationName: expect.any(String), version: 1 });
  });

  it('gives the same rows whatever the page size (keyset, ties at one instant included)', async () => {
    const ids = (await walk(admin.caller, { limit: 100 })).map((r) => r.id);
    for (const limit of [1, 3, 11, 12, 13]) {
      expect(
        (await walk(admin.caller, { limit })).map((r) => r.id),
        `limit ${limit}`,
      ).toEqual(ids);
    }
  });

  it('filters by status', async () => {
    for (const status of statuses) {
      const rows = await walk(admin.caller, { status, limit: 5 });
      expect(rows.length, status).toBe(await sqlCount(app, `select count(*) from app_user where status = ?`, [status]));
      expect(rows.every((r) => r.status === status)).toBe(true);
    }
  });

  it('searches first name, last name and email, case-insensitively, also within a status', async () => {
    expect((await walk(admin.caller, { search: 'PERSON1', limit: 4 })).map((r) => r.email).sort()).toEqual(
      ['person1@acme.test', ...Array.from({ length: 10 }, (_, i) => `person1${i}@${i % 2 ? 'acme' : 'globex'}.test`)].sort(),
    );
    expect((await admin.caller.admin.users.list({ search: 'zoë' })).items.map((r) => r.firstName)).toEqual(['Zoë']);
    expect((await admin.caller.admin.users.list({ search: 'first7 last7' })).items).toHaveLength(0); // 7 is Zoë
    expect((await admin.caller.admin.users.list({ search: 'first9 last9' })).items.map((r) => r.email)).toEqual(['person9@acme.test']);
    const acme = await walk(admin.caller, { search: '@acme.', status: 'active', limit: 3 });
    expect(acme.length).toBeGreaterThan(0);
    expect(acme.every((r) => r.email.endsWith('@acme.test') && r.status === 'active')).toBe(true);
  });

  it('treats % and _ in a search as plain characters', async () => {
    // Search matches the start of a name or address: as wildcards, "per%" and "per_" would also find person1@acme.test and the others.
    expect((await admin.caller.admin.users.list({ search: 'per%' })).items.map((r) => r.lastName)).toEqual(['Per%cent_Under']);
    expect((await admin.caller.admin.users.list({ search: 'per%cent_u' })).items.map((r) => r.lastName)).toEqual(['Per%cent_Under']);
    expect((await admin.caller.admin.users.list({ search: 'per_' })).items).toEqual([]);
    expect((await admin.caller.admin.users.list({ search: "' or 1=1 --" })).items).toEqual([]);
  });

  it('refuses a tampered cursor with a clear error', async () => {
    for (const cursor of [
      'garbage',
      Buffer.from('[0,"x","y"]').toString('base64url'),
      Buffer.from(`[1,"2026-01-01T00:00:00Z","1' or '1"]`).toString('base64url'),
    ]) {
      const err: any = await admin.caller.admin.users.list({ cursor }).catch((e) => e);
      expect(err.code).toBe('BAD_REQUEST');
      expect(err.reason).toBe('INVALID_CURSOR');
    }
  });

  it('rejects malformed and oversized input with field errors', async () => {
    const headers = { cookie: `admit_session=${admin.sessionId}` };
    const cases: [Record<string, unknown>, string][] = [
      [{ status: 'everyone' }, 'status'],
      [{ search: 'x'.repeat(10_000) }, 'search'],
      [{ search: 'a\r\nb' }, 'search'],
      [{ search: 42 }, 'search'],
      [{ limit: 100_000 }, 'limit'],
      [{ limit: 0 }, 'limit'],
      [{ cursor: 'c'.repeat(5000) }, 'cursor'],
    ];
    for (const [input, field] of cases) {
      const res = await fetch(`${app.url}/trpc/admin.users.list?input=${encodeURIComponent(JSON.stringify(input))}`, { headers });
      expect(res.status, field).toBe(400);
      const json = await res.json();
      expect(json.error.data.fieldErrors?.[field], JSON.stringify(json.error)).toBeTruthy();
    }
    // Mutations are not reachable through GET, and list is not reachable through POST.
    expect((await rawPost(app.url, 'admin.users.list', {}, { ...headers, origin: app.origin })).status).toBe(405);
  });
});
