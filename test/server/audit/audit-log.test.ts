import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsApiToken } from '../../../server/events/actor-context.js';
import { createScheduler } from '../../../server/jobs/scheduler.js';
import { retentionJob } from '../../../server/jobs/retention.js';
import { startTestApp, sql, type TestApp } from '../../support/app.js';
import { adminSession, insertUser, loginAs } from '../../support/users.js';
import type { AuditEvent, AuditListInput } from '../../../shared/schemas/audit.js';

type Admin = Awaited<ReturnType<typeof adminSession>>;

/** The types of a list, without the mail worker's email.* events (they land whenever the worker gets to them). */
const types = (list: AuditEvent[]) => list.map((e) => e.type).filter((t) => !t.startsWith('email.'));

/** All pages of the audit log for a filter, following nextCursor. */
async function allPages(admin: Admin, filter: AuditListInput['filter'], limit = 50): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await admin.caller.admin.audit.list({ filter, cursor, limit });
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

describe('Portal › Audit log', () => {
  let app: TestApp;
  let ada: Admin; // Ada Lovelace, admin
  let alan: Admin; // Alan Turing, admin, deleted half-way
  let grace: { id: string; email: string };
  let linus: { id: string; email: string };
  let orgId: string;
  let between: Date;

  beforeAll(async () => {
    app = await startTestApp();
    const a = await insertUser(app, { role: 'admin', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@analytical.test' });
    ada = { ...a, sessionId: await loginAs(app, a.email, a.password!), caller: undefined as never };
    ada.caller = app.caller({ sessionId: ada.sessionId });
    const t = await insertUser(app, { role: 'admin', firstName: 'Alan', lastName: 'Turing', email: 'alan@bletchley.test' });
    alan = { ...t, sessionId: await loginAs(app, t.email, t.password!), caller: undefined as never };
    alan.caller = app.caller({ sessionId: alan.sessionId });

    grace = await insertUser(app, { status: 'pending', firstName: 'Grace', lastName: 'Hopper', email: 'grace@navy.test' });
    linus = await insertUser(app, { status: 'pending', firstName: 'Linus', lastName: 'Torvalds', email: 'linus@kernel.test' });
    const org = await ada.caller.admin.organisations.create({ name: 'Cobol Club' });
    orgId = org.id;
    await ada.caller.admin.users.activate({ userId: grace.id, expectedVersion: 1 });
    // Alan acts, then Ada deletes Alan: his actions must stay findable by his name and email.
    await alan.caller.admin.users.reject({ userId: linus.id, expectedVersion: 1, reason: 'Not now' });
    await alan.caller.admin.users.deactivate({ userId: grace.id, expectedVersion: 2 });
    await sql(app, `select pg_sleep(0.02)`);
    between = new Date();
    await sql(app, `select pg_sleep(0.02)`);
    await ada.caller.admin.users.activate({ userId: grace.id, expectedVersion: 3 });
    await ada.caller.admin.organisations.rename({ id: orgId, name: 'Cobol Society' });
    const alanVersion = (await sql<{ version: number }>(app, `select version from app_user where id = ?`, [alan.id]))[0]!.version;
    await ada.caller.admin.users.delete({ userId: alan.id, expectedVersion: alanVersion });
  });
  afterAll(() => app.stop());

  it('lists every event, newest first, with a sentence naming actor and target', async () => {
    const all = await allPages(ada, {});
    const ids = all.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    // Emails queued above are sent meanwhile (email.sent events): count up to the newest event listed.
    const total = Number((await sql(app, `select count(*) as n from domain_event where id <= ?`, [ids[0]]))[0].n);
    expect(all).toHaveLength(total);
    const activated = all.find((e) => e.type === 'user.activated')!;
    expect(activated.sentence).toBe('Ada Lovelace activated Grace Hopper');
    expect(activated.actor).toMatchObject({ id: ada.id, name: 'Ada Lovelace', email: 'ada@analytical.test', deleted: false });
    expect(activated.target).toMatchObject({ id: grace.id, name: 'Grace Hopper', deleted: false });
    expect(all.find((e) => e.type === 'organisation.renamed')!.sentence).toBe('Ada Lovelace renamed the organisation “Cobol Club” to “Cobol Society”');
  });

  it('a deleted actor stays named (from the snapshot the deletion event carried)', async () => {
    const rejected = (await allPages(ada, { action: 'user.rejected' }))[0]!;
    expect(rejected.actor).toMatchObject({ id: alan.id, name: 'Alan Turing', email: 'alan@bletchley.test', deleted: true });
    expect(rejected.sentence).toBe('Alan Turing rejected Linus Torvalds (reason: Not now)');
    const deleted = (await allPages(ada, { action: 'user.deleted' }))[0]!;
    expect(deleted.sentence).toBe('Ada Lovelace deleted Alan Turing');
  });

  it('filters by actor typed as a name, as an email, in any case, including a deleted actor', async () => {
    const byName = await allPages(ada, { actor: 'alan tur' });
    expect(byName.map((e) => e.type).sort()).toEqual(['user.deactivated', 'user.rejected']);
    expect(byName.every((e) => e.actor?.id === alan.id)).toBe(true);
    const byEmail = await allPages(ada, { actor: 'ALAN@bletchley' });
    expect(byEmail.map((e) => e.id)).toEqual(byName.map((e) => e.id));
    const ada1 = await allPages(ada, { actor: 'Lovelace' });
    expect(ada1.length).toBeGreaterThanOrEqual(5);
    expect(ada1.every((e) => e.actor?.id === ada.id)).toBe(true);
    expect(await allPages(ada, { actor: 'nobody-like-this' })).toEqual([]);
    // LIKE wildcards are text, not patterns.
    expect(await allPages(ada, { actor: '%' })).toEqual([]);
  });

  it('filters by action', async () => {
    const activations = await allPages(ada, { action: 'user.activated' });
    expect(activations).toHaveLength(2);
    expect(activations.every((e) => e.type === 'user.activated')).toBe(true);
  });

  it('filters by target user, typed as a name or an email', async () => {
    const aboutGrace = await allPages(ada, { target: 'grace hopper' });
    expect(types(aboutGrace)).toEqual(['user.activated', 'user.deactivated', 'user.activated']);
    expect(aboutGrace.every((e) => e.target?.id === grace.id)).toBe(true);
    expect(await allPages(ada, { target: 'grace@navy' })).toEqual(aboutGrace);
    // The deleted Alan as a target: the event of his deletion.
    expect(types(await allPages(ada, { target: 'Alan' }))).toEqual(['user.deleted']);
  });

  it('filters by organisation, by its name now or an earlier one', async () => {
    // Its current name finds its whole history; so does the name it had.
    const now = await allPages(ada, { organisation: 'society' });
    expect(now.map((e) => e.type)).toEqual(['organisation.renamed', 'organisation.created']);
    expect(await allPages(ada, { organisation: 'cobol club' })).toEqual(now);
    const defaultOrg = await allPages(ada, { organisation: 'Default organisation' });
    expect(defaultOrg.length).toBeGreaterThan(0);
    expect(defaultOrg.every((e) => e.organisation?.name === 'Default organisation')).toBe(true);
  });

  it('filters by date range (from inclusive, to exclusive)', async () => {
    const before = await allPages(ada, { to: between.toISOString() });
    const after = await allPages(ada, { from: between.toISOString() });
    expect(before.length + after.length).toBe((await allPages(ada, {})).length);
    expect(before.every((e) => Date.parse(e.createdAt) < between.getTime())).toBe(true);
    expect(after.every((e) => Date.parse(e.createdAt) >= between.getTime())).toBe(true);
    expect(types(after)).toEqual(['user.deleted', 'organisation.renamed', 'user.activated']);
  });

  it('combines filters', async () => {
    const r = await allPages(ada, { actor: 'ada', action: 'user.activated', target: 'grace', from: between.toISOString() });
    expect(r).toHaveLength(1);
    expect(r[0]!.sentence).toBe('Ada Lovelace activated Grace Hopper');
    expect(await allPages(ada, { actor: 'alan', target: 'grace', action: 'user.rejected' })).toEqual([]);
    expect(types(await allPages(ada, { actor: 'alan', target: 'grace' }))).toEqual(['user.deactivated']);
  });

  it('pages by keyset without gaps or duplicates while new events arrive', async () => {
    const expected = (await allPages(ada, {})).map((e) => e.id);
    const seen: number[] = [];
    let cursor: string | null = null;
    let n = 0;
    for (;;) {
      const page = await ada.caller.admin.audit.list({ filter: {}, cursor, limit: 2 });
      seen.push(...page.items.map((e) => e.id));
      // Between two pages, new events commit (they are newer than the first page: never shown by later pages).
      await insertUser(app, { status: 'pending', firstName: `Late${n}` }).then((u) => ada.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 }));
      n++;
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('names the API token a change was made with (REST API writes)', async () => {
    const u = await insertUser(app, { status: 'pending', firstName: 'Tokyo', lastName: 'Rose' });
    const principal = { tokenId: randomUUID(), tokenName: 'CRM sync', userId: ada.id, scopes: ['users:write' as const] };
    await runAsApiToken(principal, () => ada.caller.admin.users.activate({ userId: u.id, expectedVersion: 1 }));
    const [e] = (await allPages(ada, { target: 'tokyo rose', action: 'user.activated' })) as [AuditEvent];
    expect(e.token).toEqual({ id: principal.tokenId, name: 'CRM sync' });
    expect(e.actor?.id).toBe(ada.id);
    expect(e.sentence).toBe('Ada Lovelace activated Tokyo Rose (with the API token “CRM sync”)');
    // Without a token, no attribution.
    expect((await allPages(ada, { action: 'organisation.created' }))[0]!.token).toBeNull();
  });

  it("the filters' indexes were built (concurrently, by their own migration) and are valid", async () => {
    const rows = await sql<{ name: string; valid: boolean }>(
      app,
      `select c.relname as name, i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid
        where i.indrelid = 'domain_event'::regclass and c.relname like any (array['domain_event_actor_idx', 'domain_event_type_idx', 'domain_event_created_idx', 'domain_event_organisation_idx', 'domain_event_user_snapshot_trgm'])
        order by 1`,
    );
    const trgm = (await sql(app, `select 1 from pg_extension where extname = 'pg_trgm'`)).length > 0;
    expect(rows.map((r) => r.name)).toEqual(
      [
        'domain_event_actor_idx',
        'domain_event_created_idx',
        'domain_event_organisation_idx',
        'domain_event_type_idx',
        ...(trgm ? ['domain_event_user_snapshot_trgm'] : []),
      ].sort(),
    );
    expect(rows.every((r) => r.valid)).toBe(true);
  });

  it('refuses bad input with 400 and non-admins with FORBIDDEN', async () => {
    const bad = [
      { filter: { action: 'DROP TABLE' } },
      { filter: { from: 'yesterday' } },
      { filter: { from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' } },
      { filter: { actor: 'x'.repeat(101) } },
      { filter: { actor: 'a\u0000b' } },
      { cursor: 'abc' },
      { cursor: '0' },
      { limit: 0 },
      { limit: 1000 },
    ];
    for (const input of bad) {
      const err = await ada.caller.admin.audit.list(input as AuditListInput).then(
        () => null,
        (e: any) => e,
      );
      expect(err?.code, JSON.stringify(input)).toBe('BAD_REQUEST');
    }
    const dev = await insertUser(app, { role: 'developer' });
    const devCaller = app.caller({ sessionId: await loginAs(app, dev.email, dev.password!) });
    await expect(devCaller.admin.audit.list({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
  it('follows the retention setting for events: what the purge deletes leaves the audit log', async () => {
    const [old] = await sql<{ id: string }>(
      app,
      `insert into domain_event (type, actor_id, user_id, data, created_at)
       values ('user.deactivated', ?, ?, ?::jsonb, now() - interval '40 days') returning id`,
      [ada.id, grace.id, JSON.stringify({ user: { id: grace.id, email: 'grace@navy.test', firstName: 'Grace', lastName: 'Hopper' } })],
    );
    const visible = async () => (await allPages(ada, { target: 'grace' })).some((e) => e.id === Number(old!.id));
    expect(await visible()).toBe(true);
    await ada.caller.admin.settings.retention.update({ mailboxRetentionDays: 30, sentOutboxRetentionDays: 30, eventRetentionDays: 30 });
    const scheduler = createScheduler({ em: app.services.em, clock: app.clock, log: app.services.log, jobs: [retentionJob()] });
    await scheduler.runNow('retention');
    expect(await visible()).toBe(false);
    // Newer events stay.
    expect(types(await allPages(ada, { target: 'grace' }))).toEqual(['user.activated', 'user.deactivated', 'user.activated']);
  });
});
