import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, insertUser } from '../../support/users.js';
import { apiClient, createTestToken } from '../../support/api.js';

/** GET /users pages with an opaque keyset cursor: every matching user once, in order, whatever is added meanwhile. */
describe('REST API keyset paging of users', () => {
  let app: TestApp;
  let api: ReturnType<typeof apiClient>;
  const marker = `pg${Date.now().toString(36)}`;
  const ids: string[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await adminSession(app);
    api = apiClient(app, (await createTestToken(app, admin.id, ['users:read'])).token);
    for (let i = 0; i < 7; i++) ids.push((await insertUser(app, { lastName: `${marker} ${i}`, status: i % 3 === 0 ? 'pending' : 'active' })).id);
  });
  afterAll(() => app.stop());

  async function allPages(query: string, limit: number) {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res = await api.get(`/users?search=${marker}&limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      pages.push(res.body.items.map((u: any) => u.id));
      cursor = res.body.nextCursor;
      expect(pages.length).toBeLessThan(20);
    } while (cursor);
    return pages;
  }

  it('pages of 3 give 3, 3, 1 with pending users first, each user exactly once, and a null cursor on the last page', async () => {
    const pages = await allPages('', 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    const flat = pages.flat();
    expect(new Set(flat).size).toBe(7);
    expect(flat.sort()).toEqual([...ids].sort());
    const first = (await api.get(`/users?search=${marker}&limit=3`)).body.items;
    expect(first.map((u: any) => u.status)).toEqual(['pending', 'pending', 'pending']);
  });

  it('a status filter pages too, and users added after the first page neither appear twice nor shift the pages', async () => {
    const page1 = await api.get(`/users?search=${marker}&status=active&limit=2`);
    expect(page1.body.items).toHaveLength(2);
    await insertUser(app, { lastName: `${marker} late`, status: 'active' });
    let cursor = page1.body.nextCursor;
    const seen = page1.body.items.map((u: any) => u.id);
    while (cursor) {
      const res = await api.get(`/users?search=${marker}&status=active&limit=2&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...res.body.items.map((u: any) => u.id));
      cursor = res.body.nextCursor;
    }
    // The newer user sorts before the first page (newest first), so it is not in this walk, and nothing repeats.
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
  });

  it('the cursor is opaque text; a forged one is refused with 400 INVALID_CURSOR, not a server error', async () => {
    const res = await api.get(`/users?search=${marker}&limit=3`);
    expect(res.body.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const forged = Buffer.from(JSON.stringify([1, '2026-02-30T00:00:00Z', ids[0]])).toString('base64url');
    for (const c of [forged, 'garbage', 'x'.repeat(200)]) {
      const bad = await api.get(`/users?cursor=${encodeURIComponent(c)}`);
      expect(bad.status, c).toBe(400);
      expect(bad.body.reason).toBe('INVALID_CURSOR');
    }
    const tooLong = await api.get(`/users?cursor=${'x'.repeat(201)}`);
    expect(tooLong.status).toBe(422);
  });

  it('limit is checked by the shared schema: 0, 101 and text are 422 with the parameter named', async () => {
    for (const limit of ['0', '101', 'ten', '1.5']) {
      const res = await api.get(`/users?limit=${limit}`);
      expect(res.status, limit).toBe(422);
      expect(res.body.errors[0].parameter).toBe('limit');
    }
  });
});
