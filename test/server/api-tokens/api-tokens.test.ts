import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateApiRequest, hashApiToken, LAST_USED_INTERVAL_MS } from '../../../server/api-tokens/api-tokens.service.js';
import { runAsApiToken } from '../../../server/events/actor-context.js';
import { createOrganisation } from '../../../server/organisations/organisations.service.js';
import { createRateLimits, RateLimiter } from '../../../server/security/rate-limit.js';
import { createLogger, redactFields, redactText } from '../../../server/logger.js';
import { startTestApp, sql, sqlCount, type TestApp } from '../../support/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { adminSession } from '../../support/users.js';

const DAY = 24 * 60 * 60_000;

/** Every row of every table in the public schema, as text, that contains `needle`. */
async function rowsContaining(app: TestApp, needle: string): Promise<string[]> {
  const tables = await sql<{ table_name: string }>(
    app,
    `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const hits: string[] = [];
  for (const { table_name } of tables) {
    const n = await sqlCount(app, `select count(*) from "${table_name}" x where x::text like ?`, [`%${needle}%`]);
    if (n > 0) hits.push(table_name);
  }
  return hits;
}

describe('API tokens', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  async function newToken(scopes: string[] = ['users:read'], expiresInDays: 7 | 30 | 90 | 365 | null = 90) {
    const admin = await adminSession(app);
    const res = await admin.caller.admin.settings.apiTokens.create({
      name: `Token ${Math.random().toString(36).slice(2, 8)}`,
      scopes: scopes as any,
      expiresInDays,
    });
    return { admin, ...res };
  }

  it('creates a random admit_pat_ token of 256 bits that is stored only as its SHA-256', async () => {
    const { token, item } = await newToken(['users:read', 'events:read']);
    expect(token).toMatch(/^admit_pat_[A-Za-z0-9_-]{43}$/);
    const stored = await sql<{ token_hash: string }>(app, `select token_hash from api_token where id = ?`, [item.id]);
    expect(stored[0]!.token_hash).toBe(hashApiToken(token));
    expect(stored[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    // Neither the token nor its random part is anywhere in the database (token row, events, outbox…).
    expect(await rowsContaining(app, token.slice('admit_pat_'.length))).toEqual([]);
    const second = await newToken();
    expect(second.token).not.toBe(token);
  });

  it('authenticates a bearer token and carries its scopes and owner', async () => {
    const { token, item, admin } = await newToken(['users:read', 'organisations:write']);
    const r = await authenticateApiRequest(app.services, `Bearer ${token}`, '203.0.113.7');
    expect(r).toEqual({ ok: true, principal: { tokenId: item.id, tokenName: item.name, userId: admin.id, scopes: ['users:read', 'organisations:write'] } });
  });

  it('refuses a missing, malformed or unknown token with 401', async () => {
    const { token } = await newToken();
    for (const header of [undefined, '', 'Basic abc', `Token ${token}`, 'Bearer admit_pat_short', `Bearer ${token.slice(0, -1)}x`, `Bearer ${token} extra`]) {
      const r = await authenticateApiRequest(app.services, header, null);
      expect(r.ok, String(header)).toBe(false);
      if (!r.ok) expect(r.status).toBe(401);
    }
  });

  it('refuses an expired token', async () => {
    const { token } = await newToken(['users:read'], 7);
    expect((await authenticateApiRequest(app.services, `Bearer ${token}`, null)).ok).toBe(true);
    app.clock.advance(7 * DAY + 1000);
    try {
      const r = await authenticateApiRequest(app.services, `Bearer ${token}`, null);
      expect(r).toMatchObject({ ok: false, status: 401, detail: expect.stringMatching(/expired/) });
    } finally {
      app.clock.reset();
    }
  });

  it('refuses a revoked token at its next request, and lists it as revoked', async () => {
    const { token, item, admin } = await newToken();
    expect((await authenticateApiRequest(app.services, `Bearer ${token}`, null)).ok).toBe(true);
    const res = await admin.caller.admin.settings.apiTokens.revoke({ id: item.id });
    expect(res.item.state).toBe('revoked');
    expect(await authenticateApiRequest(app.services, `Bearer ${token}`, null)).toMatchObject({
      ok: false,
      status: 401,
      detail: expect.stringMatching(/revoked/),
    });
    const list = await admin.caller.admin.settings.apiTokens.list();
    expect(list.items.find((t) => t.id === item.id)?.state).toBe('revoked');
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'api_token.revoked' and data->'token'->>'id' = ?`, [item.id])).toBe(1);
  });

  it("cannot revoke or see another admin's token", async () => {
    const { item } = await newToken();
    const other = await adminSession(app);
    await expect(other.caller.admin.settings.apiTokens.revoke({ id: item.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await other.caller.admin.settings.apiTokens.list()).items.map((t) => t.id)).not.toContain(item.id);
  });

  it('stops working at once when the owner is deactivated or demoted', async () => {
    const a = await newToken();
    const b = await newToken();
    expect((await authenticateApiRequest(app.services, `Bearer ${a.token}`, null)).ok).toBe(true);
    expect((await authenticateApiRequest(app.services, `Bearer ${b.token}`, null)).ok).toBe(true);
    // Deactivated through the real procedure by another admin; demoted directly (no role-change procedure yet).
    const boss = await adminSession(app);
    const versions = await sql<{ version: number }>(app, `select version from app_user where id = ?`, [a.admin.id]);
    await boss.caller.admin.users.deactivate({ userId: a.admin.id, expectedVersion: versions[0]!.version });
    await sql(app, `update app_user set role = 'developer' where id = ?`, [b.admin.id]);
    expect(await authenticateApiRequest(app.services, `Bearer ${a.token}`, null)).toMatchObject({ ok: false, status: 401 });
    expect(await authenticateApiRequest(app.services, `Bearer ${b.token}`, null)).toMatchObject({ ok: false, status: 401 });
  });

  it('records the last use (time and address) at most once a minute', async () => {
    const { token, item } = await newToken();
    const row = async () =>
      (
        await sql<{ last_used_at: Date | null; last_used_ip: string | null }>(app, `select last_used_at, last_used_ip from api_token where id = ?`, [item.id])
      )[0]!;
    expect(await row()).toEqual({ last_used_at: null, last_used_ip: null });
    try {
      await authenticateApiRequest(app.services, `Bearer ${token}`, '198.51.100.1');
      const first = await row();
      expect(first.last_used_ip).toBe('198.51.100.1');
      expect(first.last_used_at).not.toBeNull();
      app.clock.advance(LAST_USED_INTERVAL_MS - 5_000);
      await authenticateApiRequest(app.services, `Bearer ${token}`, '198.51.100.2');
      expect(await row()).toEqual(first);
      app.clock.advance(10_000);
      await authenticateApiRequest(app.services, `Bearer ${token}`, '198.51.100.3');
      const third = await row();
      expect(third.last_used_ip).toBe('198.51.100.3');
      expect(new Date(third.last_used_at!).getTime()).toBeGreaterThan(new Date(first.last_used_at!).getTime());
    } finally {
      app.clock.reset();
    }
  });

  it('attributes every event written under runAsApiToken to the admin and the token name', async () => {
    const { token, admin } = await newToken(['organisations:write']);
    const auth = await authenticateApiRequest(app.services, `Bearer ${token}`, null);
    if (!auth.ok) throw new Error('token refused');
    const org = await runAsApiToken(auth.principal, () => createOrganisation(app.services, auth.principal.userId, { name: `Via token ${Date.now()}` }));
    const outside = await createOrganisation(app.services, admin.id, { name: `Via UI ${Date.now()}` });
    const events = await sql<{ actor_id: string; actor_token_id: string | null; actor_token_name: string | null; org: string }>(
      app,
      `select actor_id, actor_token_id, actor_token_name, data->'organisation'->>'id' as org from domain_event where type = 'organisation.created' and data->'organisation'->>'id' in (?, ?)`,
      [org.id, outside.id],
    );
    const byOrg = Object.fromEntries(events.map((e) => [e.org, e]));
    expect(byOrg[org.id]).toMatchObject({ actor_id: admin.id, actor_token_id: auth.principal.tokenId, actor_token_name: auth.principal.tokenName });
    expect(byOrg[outside.id]).toMatchObject({ actor_id: admin.id, actor_token_id: null, actor_token_name: null });
  });

  it('refuses bad input with BAD_REQUEST and creates nothing', async () => {
    const admin = await adminSession(app);
    const before = await sqlCount(app, `select count(*) from api_token`);
    const bad = [
      { name: 'x', scopes: [], expiresInDays: 30 },
      { name: 'x', scopes: ['users:delete'], expiresInDays: 30 },
      { name: 'x', scopes: ['users:read', 'users:read'], expiresInDays: 30 },
      { name: 'x', scopes: ['users:read'], expiresInDays: 31 },
      { name: '', scopes: ['users:read'], expiresInDays: 30 },
      { name: 'a'.repeat(101), scopes: ['users:read'], expiresInDays: 30 },
      { name: 'a\u202Eb', scopes: ['users:read'], expiresInDays: 30 },
    ];
    for (const input of bad) {
      await expect(admin.caller.admin.settings.apiTokens.create(input as any), JSON.stringify(input)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    expect(await sqlCount(app, `select count(*) from api_token`)).toBe(before);
  });

  it('an event records the creation without the token', async () => {
    const { token, item, admin } = await newToken(['settings:read']);
    const ev = await sql<{ actor_id: string; data: any }>(
      app,
      `select actor_id, data from domain_event where type = 'api_token.created' and data->'token'->>'id' = ?`,
      [item.id],
    );
    expect(ev).toHaveLength(1);
    expect(ev[0]!.actor_id).toBe(admin.id);
    expect(ev[0]!.data.token).toMatchObject({ name: item.name, scopes: ['settings:read'] });
    expect(JSON.stringify(ev[0]!.data)).not.toContain(token.slice(10));
  });

  it('never logs a token: Authorization headers, bearer text and bare tokens are redacted', async () => {
    const { token } = await newToken();
    const lines: string[] = [];
    const log = createLogger('debug', { format: 'json', destination: { write: (l: string) => lines.push(l) } });
    log.info('request', {
      headers: { authorization: `Bearer ${token}` },
      note: `curl -H "Authorization: Bearer ${token}"`,
      body: `token=${token}`,
      raw: token,
    });
    const fields = redactFields({ authorization: `Bearer ${token}`, message: `failed with ${token}` });
    expect(JSON.stringify(fields)).not.toContain(token.slice(10));
    expect(redactText(`Authorization: Bearer ${token}`)).toBe('Authorization: Bearer [redacted]');
    expect(redactText(`got ${token} from env`)).toBe('got admit_pat_[redacted] from env');
    expect(lines.join('\n')).not.toContain(token.slice(10));
  });
});

describe('the per-token rate limit', () => {
  let db: TestDatabase;
  let one: TestApp;
  let two: TestApp;
  const limits = () => ({ ...createRateLimits(1000), apiToken: new RateLimiter('apiToken', 5, 60_000) });
  beforeAll(async () => {
    db = await createTestDatabase();
    one = await startTestApp({ db, limits: limits() });
    two = await startTestApp({ db, limits: limits() });
  });
  afterAll(async () => {
    // Unset when beforeAll failed before assigning them.
    await (one as TestApp | undefined)?.stop();
    await (two as TestApp | undefined)?.stop();
    await (db as TestDatabase | undefined)?.drop();
  });

  it('is shared by two app instances: the sixth request in the window is refused with 429 and Retry-After, whichever instance serves it', async () => {
    const admin = await adminSession(one);
    const { token } = await admin.caller.admin.settings.apiTokens.create({ name: 'Shared limit', scopes: ['users:read'], expiresInDays: 30 });
    const other = await admin.caller.admin.settings.apiTokens.create({ name: 'Other token', scopes: ['users:read'], expiresInDays: 30 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await authenticateApiRequest((i % 2 ? one : two).services, `Bearer ${token}`, null));
    expect(results.every((r) => r.ok)).toBe(true);
    const refusedByOne = await authenticateApiRequest(one.services, `Bearer ${token}`, null);
    const refusedByTwo = await authenticateApiRequest(two.services, `Bearer ${token}`, null);
    for (const r of [refusedByOne, refusedByTwo]) {
      expect(r).toMatchObject({ ok: false, status: 429 });
      if (!r.ok) expect(r.retryAfterSeconds).toBeGreaterThan(0);
    }
    // Per token: another token of the same admin is not affected.
    expect((await authenticateApiRequest(two.services, `Bearer ${other.token}`, null)).ok).toBe(true);
  });

  it('the same token works again once the window has passed', async () => {
    const admin = await adminSession(one);
    const { token } = await admin.caller.admin.settings.apiTokens.create({ name: 'Window', scopes: ['users:read'], expiresInDays: 30 });
    for (let i = 0; i < 5; i++) expect((await authenticateApiRequest(one.services, `Bearer ${token}`, null)).ok).toBe(true);
    expect((await authenticateApiRequest(two.services, `Bearer ${token}`, null)).ok).toBe(false);
    one.clock.advance(61_000);
    two.clock.advance(61_000);
    try {
      expect((await authenticateApiRequest(two.services, `Bearer ${token}`, null)).ok).toBe(true);
    } finally {
      one.clock.reset();
      two.clock.reset();
    }
  });
});
