import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, sql, sqlCount, type TestApp } from '../../support/app.js';
import { insertUser, loginAs, developerSession } from '../../support/users.js';
import { setRequireEmailVerification } from '../../support/verify.js';
import { forgottenEmail } from '../../../shared/schemas/audit.js';

const PASSWORD = 'a fine passphrase for mary';
const MARY = 'mary.shelley@frankenstein.test';
const MARY_IP = '198.51.100.77';
const TERMS_IP = '203.0.113.99';
const MARY_UA = 'MaryBrowser/1818.1';

/**
 * Every text, varchar, char, json and jsonb column of every table in the database, searched for
 * each needle (case-insensitive): where a person's data could still be.
 */
async function findEverywhere(app: TestApp, needles: string[]): Promise<string[]> {
  const cols = await sql<{ table_name: string; column_name: string }>(
    app,
    `select c.table_name, c.column_name from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema = 'public' and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')`,
  );
  const found: string[] = [];
  for (const { table_name: t, column_name: c } of cols) {
    for (const n of needles) {
      const hits = await sqlCount(app, `select count(*) from "${t}" where "${c}"::text ilike ?`, [`%${n}%`]);
      if (hits > 0) found.push(`${t}.${c} contains ${n} (${hits} rows)`);
    }
  }
  return found;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Forget (erasure) and Export (access request)', () => {
  let app: TestApp;
  let ada: { id: string; caller: ReturnType<TestApp['caller']> };
  let maryId: string;
  const PERSONAL = [MARY, 'frankenstein.test', 'Shelley', 'Wollstonecraft', MARY_IP, TERMS_IP, MARY_UA, 'Shelley & Co'];

  beforeAll(async () => {
    app = await startTestApp();
    await setRequireEmailVerification(app, false);
    const a = await insertUser(app, { role: 'admin', firstName: 'Ada', lastName: 'Lovelace' });
    ada = { id: a.id, caller: app.caller({ sessionId: await loginAs(app, a.email, a.password!) }) };

    // Mary signs up (sign-up field answered), so admins are emailed about her; Ada approves her.
    const form = await ada.caller.admin.settings.registrationForm.publish({ fields: [{ key: 'company', label: 'Company', type: 'text' }] });
    await app.caller({ ip: MARY_IP }).auth.signup({
      firstName: 'Mary',
      lastName: 'Shelley',
      email: MARY,
      password: PASSWORD,
      confirmPassword: PASSWORD,
      formVersion: form.version,
      answers: { company: 'Shelley & Co' },
    });
    maryId = (await sql<{ id: string }>(app, `select id from app_user where email = ?`, [MARY]))[0]!.id;
    await ada.caller.admin.users.activate({ userId: maryId, expectedVersion: 1 });
    const v = (await sql<{ version: number }>(app, `select version from app_user where id = ?`, [maryId]))[0]!.version;
    await ada.caller.admin.users.update({
      userId: maryId,
      expectedVersion: v,
      firstName: 'Mary',
      lastName: 'Wollstonecraft Shelley',
      organisationId: (await sql(app, `select id from organisation where is_default`))[0].id,
      role: 'developer',
    });
    // She logs in from her address (a session with IP and user agent), and accepted terms once.
    await loginAs(app, MARY, PASSWORD);
    await sql(app, `update user_session set ip = ?, user_agent = ? where user_id = ?`, [MARY_IP, MARY_UA, maryId]);
    await sql(app, `insert into terms_version (id, title, body, created_at) values (1, 'Terms of use', 'Be nice.', now())`);
    await sql(app, `insert into terms_acceptance (user_id, version_id, accepted_at, ip, user_agent) values (?, 1, now(), ?, ?)`, [maryId, TERMS_IP, MARY_UA]);
    // A webhook delivery about her, whose receiver echoed her address back.
    const endpoint = randomUUID();
    await sql(
      app,
      `insert into webhook_endpoint (id, url, event_types, secret_enc, created_at, updated_at) values (?, 'https://hooks.example.test/x', '["user.activated"]', 'x', now(), now())`,
      [endpoint],
    );
    const ev = (await sql(app, `select id, type, data from domain_event where user_id = ? and type = 'user.activated'`, [maryId]))[0];
    await sql(
      app,
      `insert into webhook_delivery (endpoint_id, message_id, event_id, event_type, user_id, payload, status, next_attempt_at, response_status, response_body, created_at, updated_at)
       values (?, 'msg_1', ?, 'user.activated', ?, ?::jsonb, 'succeeded', now(), 200, ?, now(), now())`,
      [endpoint, ev.id, maryId, JSON.stringify({ type: ev.type, timestamp: new Date().toISOString(), data: ev.data }), `ok ${MARY}`],
    );
    // The limit on her address, and her address on the suppression list.
    await sql(app, `insert into rate_limit (key, points, expires_at) values (?, 1, now() + interval '1 hour')`, [`invite-waiting:${MARY}`]);
    await sql(app, `insert into email_suppression (address, reason, source, created_at) values (?, 'asked', 'admin', now())`, [MARY]);
    // The worker delivers her emails (and the admins' note about her) into the built-in mailbox.
    await waitFor('mail delivered', async () => (await sqlCount(app, `select count(*) from email_outbox where status = 'pending'`)) === 0);
    expect(await sqlCount(app, `select count(*) from mailbox_message where lower(to_address) = ?`, [MARY])).toBeGreaterThan(0);
    expect(await sqlCount(app, `select count(*) from mailbox_message where text ilike ?`, [`%${MARY}%`])).toBeGreaterThan(0);
  });
  afterAll(() => app.stop());

  it('Export gives her data as one JSON document', async () => {
    const x = await ada.caller.admin.privacy.exportPerson({ userId: maryId });
    expect(x.format).toBe('admit-person-export/1');
    expect(x.profile).toMatchObject({ email: MARY, firstName: 'Mary', lastName: 'Wollstonecraft Shelley', role: 'developer', status: 'active' });
    expect(x.organisation?.name).toBe('Default organisation');
    expect(x.customFields).toEqual([{ key: 'company', label: 'Company', value: 'Shelley & Co' }]);
    expect(x.termsAcceptances).toEqual([{ versionId: 1, title: 'Terms of use', acceptedAt: expect.any(String), ip: TERMS_IP, userAgent: MARY_UA }]);
    expect(x.sessions).toEqual([expect.objectContaining({ ip: MARY_IP, userAgent: MARY_UA })]);
    const types = x.events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['user.registered', 'user.activated', 'user.updated', 'email.sent']));
    expect(x.events.find((e) => e.type === 'user.activated')).toMatchObject({ role: 'subject', sentence: 'Ada Lovelace activated Mary Shelley' });
    expect(x.events.map((e) => e.id)).toEqual([...x.events.map((e) => e.id)].sort((a, b) => a - b));
    expect(x.emails.map((m) => m.template)).toEqual(expect.arrayContaining(['registration-received', 'account-activated']));
    expect(x.emails.every((m) => m.to === MARY)).toBe(true);
    // The session id (a secret's hash) is not part of it.
    expect(JSON.stringify(x)).not.toMatch(/[0-9a-f]{64}/);
  });

  it('Export refuses non-admins, unknown people (404) and bad ids (400)', async () => {
    const dev = await developerSession(app);
    await expect(dev.caller.admin.privacy.exportPerson({ userId: maryId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(ada.caller.admin.privacy.exportPerson({ userId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(ada.caller.admin.privacy.exportPerson({ userId: 'nope' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('Forget is refused for non-admins, without the typed confirmation, for oneself, and for unknown people; nothing changes', async () => {
    const before = await findEverywhere(app, [MARY]);
    expect(before.length).toBeGreaterThan(5);
    const dev = await developerSession(app);
    await expect(dev.caller.admin.privacy.forget({ userId: maryId, confirmation: 'FORGET' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(app.caller().admin.privacy.forget({ userId: maryId, confirmation: 'FORGET' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(ada.caller.admin.privacy.forget({ userId: maryId, confirmation: 'forget me' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(ada.caller.admin.privacy.forget({ userId: ada.id, confirmation: 'FORGET' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(ada.caller.admin.privacy.forget({ userId: randomUUID(), confirmation: 'FORGET' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await findEverywhere(app, [MARY])).toEqual(before);
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'user.forgotten'`)).toBe(0);
  });

  it('Forget erases her email, names, IP addresses and user agents from every table, keeping the skeleton', async () => {
    const eventsBefore = await sql<{ id: string; type: string }>(app, `select id, type from domain_event where user_id = ? order by id`, [maryId]);
    const outboxBefore = await sql<{ id: string; template: string }>(app, `select id, template from email_outbox order by id`);
    const res = await ada.caller.admin.privacy.forget({ userId: maryId, confirmation: 'FORGET' });
    expect(res).toMatchObject({ userId: maryId, alreadyForgotten: false, accountKept: true });
    expect(res.user).toMatchObject({ id: maryId, firstName: 'Forgotten', lastName: 'person', email: forgottenEmail(maryId), status: 'inactive' });
    for (const k of ['events', 'termsAcceptances', 'mailboxMessages', 'outbox', 'webhookDeliveries', 'sessions', 'addressKeys']) {
      expect(res.redacted[k], k).toBeGreaterThan(0);
    }

    // Nowhere in the database any more.
    expect(await findEverywhere(app, PERSONAL)).toEqual([]);

    // The skeleton: the same events (plus user.forgotten), the terms evidence, the emails' templates and times.
    const eventsAfter = await sql<{ id: string; type: string }>(app, `select id, type from domain_event where user_id = ? order by id`, [maryId]);
    expect(eventsAfter.slice(0, -1)).toEqual(eventsBefore);
    expect(eventsAfter.at(-1)!.type).toBe('user.forgotten');
    expect(await sql(app, `select template from email_outbox order by id`)).toEqual(outboxBefore.map((o) => ({ template: o.template })));
    expect(await sql(app, `select version_id, ip, user_agent from terms_acceptance where user_id = ?`, [maryId])).toEqual([
      { version_id: 1, ip: '', user_agent: '' },
    ]);
    expect(await sqlCount(app, `select count(*) from user_session where user_id = ?`, [maryId])).toBe(0);
    // She cannot log in (no password, no address).
    await expect(app.caller().auth.login({ email: MARY, password: PASSWORD })).rejects.toBeTruthy();

    // The audit log still tells her story, with her placeholder name.
    const log = await ada.caller.admin.audit.list({ filter: { target: 'forgotten person' }, limit: 200 });
    const sentences = log.items.map((e) => e.sentence);
    expect(sentences).toContain('Forgotten person registered');
    expect(sentences).toContain('Ada Lovelace activated Forgotten person');
    expect(sentences).toContain('Ada Lovelace erased the personal data of Forgotten person');
    // The erasure event itself carries nothing personal (the scan above covers it) and says the account was kept.
    const [forgotten] = await sql(app, `select actor_id, data from domain_event where type = 'user.forgotten'`);
    expect(forgotten).toMatchObject({ actor_id: ada.id, data: { accountKept: true, user: { firstName: 'Forgotten', lastName: 'person' } } });
  });

  it('Forget is idempotent: again, nothing new is recorded and nothing personal reappears', async () => {
    const events = await sqlCount(app, `select count(*) from domain_event`);
    const res = await ada.caller.admin.privacy.forget({ userId: maryId, confirmation: 'FORGET' });
    expect(res).toMatchObject({ alreadyForgotten: true, accountKept: true });
    expect(await sqlCount(app, `select count(*) from domain_event`)).toBe(events);
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'user.forgotten'`)).toBe(1);
    expect(await findEverywhere(app, PERSONAL)).toEqual([]);
  });

  it('a deleted person stays readable with their name, and can then be forgotten', async () => {
    const percy = await insertUser(app, { status: 'pending', firstName: 'Percy', lastName: 'Bysshe', email: 'percy@ode.test' });
    await ada.caller.admin.users.activate({ userId: percy.id, expectedVersion: 1 });
    await ada.caller.admin.users.delete({ userId: percy.id, expectedVersion: 2 });
    // Delete: history stays, with the name (the dialog's promise).
    const log = await ada.caller.admin.audit.list({ filter: { target: 'percy@ode.test' } });
    expect(log.items.map((e) => e.sentence).filter((s) => !s.startsWith('Email'))).toEqual([
      'Ada Lovelace deleted Percy Bysshe',
      'Ada Lovelace activated Percy Bysshe',
    ]);
    expect(log.items[0]!.target).toMatchObject({ id: percy.id, name: 'Percy Bysshe', deleted: true });
    const exported = await ada.caller.admin.privacy.exportPerson({ userId: percy.id });
    expect(exported.profile).toBeNull();
    expect(exported.events.map((e) => e.type)).toEqual(expect.arrayContaining(['user.activated', 'user.deleted']));

    const res = await ada.caller.admin.privacy.forget({ userId: percy.id, confirmation: 'FORGET' });
    expect(res).toMatchObject({ alreadyForgotten: false, accountKept: false, user: null });
    expect(await findEverywhere(app, ['percy@ode.test', 'Bysshe'])).toEqual([]);
    const after = await ada.caller.admin.audit.list({ filter: { action: 'user.deleted', target: 'forgotten' } });
    expect(after.items.map((e) => e.sentence)).toContain('Ada Lovelace deleted Forgotten person');
  });
});
