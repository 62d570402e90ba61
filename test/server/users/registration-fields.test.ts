import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, sql, type TestApp } from '../../support/app.js';
import { adminSession, uniqueEmail } from '../../support/users.js';
import { writeSetting } from '../../../server/settings/settings.repository.js';
import { answersSchema, COUNTRY_CODES, formFieldsSchema, type FormFieldInput } from '../../../shared/registration-form.js';
import * as sharedForm from '../../../shared/registration-form.js';
import * as serverSignup from '../../../server/users/registration.service.js';
import { readFileSync } from 'node:fs';
import { loadEmailRenderer, unknownPlaceholders } from '../../../server/mail/renderer.js';

const PASSWORD = 'a fine passphrase';
const form = (email: string, extra: Record<string, unknown> = {}) => ({
  firstName: 'Ada',
  lastName: 'Lovelace',
  email,
  password: PASSWORD,
  confirmPassword: PASSWORD,
  ...extra,
});

/** The validator for one field, as the page and the server build it. */
function one(field: FormFieldInput) {
  const [f] = formFieldsSchema.parse([field]);
  const s = answersSchema([f!]);
  return (value: unknown) => {
    const r = s.safeParse(value === undefined ? {} : { [f!.key]: value });
    return r.success ? { ok: true as const, value: r.data[f!.key] } : { ok: false as const, message: r.error.issues[0]!.message };
  };
}

describe('answersSchema (shared/registration-form.ts): each type and format', () => {
  it('text: good, too short, too long, required', () => {
    const check = one({ key: 'company', label: 'Company', type: 'text', required: true, minLength: 2, maxLength: 10 });
    expect(check('  Acme  ')).toEqual({ ok: true, value: 'Acme' });
    expect(check('A')).toEqual({ ok: false, message: 'Company must be at least 2 characters' });
    expect(check('A'.repeat(11))).toEqual({ ok: false, message: 'Company must be at most 10 characters' });
    expect(check('')).toEqual({ ok: false, message: 'Company is required' });
    expect(check(undefined)).toEqual({ ok: false, message: 'Company is required' });
    expect(check(42).ok).toBe(false);
    expect(check('line\nbreak').ok).toBe(false);
  });

  it('an optional text left empty is no answer', () => {
    const check = one({ key: 'team', label: 'Team', type: 'text' });
    expect(check('')).toEqual({ ok: true, value: undefined });
    expect(check(undefined)).toEqual({ ok: true, value: undefined });
  });

  it('long text: line breaks allowed, its own limit', () => {
    const check = one({ key: 'usage', label: 'Intended use', type: 'longText', maxLength: 50 });
    expect(check('line one\nline two')).toEqual({ ok: true, value: 'line one\nline two' });
    expect(check('x'.repeat(51))).toEqual({ ok: false, message: 'Intended use must be at most 50 characters' });
  });

  it('select: one of the options; a value not in the options is refused', () => {
    const check = one({ key: 'plan', label: 'Plan', type: 'select', options: ['Free', 'Pro'], required: true });
    expect(check('Pro')).toEqual({ ok: true, value: 'Pro' });
    expect(check('Enterprise')).toEqual({ ok: false, message: 'Plan: choose one of the options' });
    expect(check('pro').ok).toBe(false);
    expect(check('')).toEqual({ ok: false, message: 'Plan is required' });
  });

  it('checkbox: a boolean; required means ticked', () => {
    const req = one({ key: 'nda', label: 'I signed the NDA', type: 'checkbox', required: true });
    expect(req(true)).toEqual({ ok: true, value: true });
    expect(req(false)).toEqual({ ok: false, message: 'I signed the NDA must be ticked' });
    expect(req('yes').ok).toBe(false);
    const opt = one({ key: 'news', label: 'Newsletter', type: 'checkbox' });
    expect(opt(undefined)).toEqual({ ok: true, value: false });
    expect(opt(true)).toEqual({ ok: true, value: true });
  });

  it('URL type: http(s) addresses only', () => {
    const check = one({ key: 'site', label: 'Website', type: 'url' });
    expect(check('https://acme.example/path')).toEqual({ ok: true, value: 'https://acme.example/path' });
    expect(check('javascript:alert(1)').ok).toBe(false);
    expect(check('acme.example').ok).toBe(false);
    expect(check('https://')).toMatchObject({ ok: false });
  });

  it('every format of the fixed list', () => {
    const f = (format: string) => one({ key: 'v', label: 'Value', type: 'text', format: format as never });
    expect(f('url')('http://x.example')).toMatchObject({ ok: true });
    expect(f('url')('ftp://x.example')).toEqual({ ok: false, message: 'Value must be a web address starting with https:// or http://' });
    expect(f('email')('dev@acme.example')).toMatchObject({ ok: true });
    expect(f('email')('not an address')).toEqual({ ok: false, message: 'Value must be an email address' });
    expect(f('phone')('+44 20 7946 0958')).toMatchObject({ ok: true });
    expect(f('phone')('call me')).toEqual({ ok: false, message: 'Value must be a phone number' });
    expect(f('phone')('12')).toMatchObject({ ok: false });
    expect(f('country')('de')).toEqual({ ok: true, value: 'DE' });
    expect(f('country')('XX')).toEqual({ ok: false, message: 'Value must be a two-letter country code (ISO 3166)' });
    expect(f('country')('Germany')).toMatchObject({ ok: false });
    expect(COUNTRY_CODES).toHaveLength(249);
    expect(f('wholeNumber')('42')).toEqual({ ok: true, value: '42' });
    expect(f('wholeNumber')('4.2')).toEqual({ ok: false, message: 'Value must be a whole number' });
    expect(f('wholeNumber')('1e9')).toMatchObject({ ok: false });
  });

  it('definitions: no regular expressions, unknown formats and types refused, keys unique, selects need options', () => {
    expect(formFieldsSchema.safeParse([{ key: 'a', label: 'A', type: 'text', format: 'regex' }]).success).toBe(false);
    expect(formFieldsSchema.safeParse([{ key: 'a', label: 'A', type: 'text', pattern: '^(a+)+$' }]).data?.[0]).not.toHaveProperty('pattern');
    expect(formFieldsSchema.safeParse([{ key: 'a', label: 'A', type: 'date' }]).success).toBe(false);
    expect(
      formFieldsSchema.safeParse([
        { key: 'a', label: 'A', type: 'text' },
        { key: 'a', label: 'B', type: 'text' },
      ]).success,
    ).toBe(false);
    expect(formFieldsSchema.safeParse([{ key: 'a', label: 'A', type: 'select' }]).success).toBe(false);
    expect(formFieldsSchema.safeParse([{ key: 'Bad Key', label: 'A', type: 'text' }]).success).toBe(false);
    expect(formFieldsSchema.safeParse([{ key: 'a', label: 'A', type: 'text', minLength: 5, maxLength: 2 }]).success).toBe(false);
  });

  it('the same function serves the register page and the server', () => {
    // The page imports answersSchema from shared/; the server's sign-up does too (no copy of its own).
    const page = readFileSync(new URL('../../../client/portal/CustomFields.tsx', import.meta.url), 'utf8');
    const server = readFileSync(new URL('../../../server/users/registration.service.ts', import.meta.url), 'utf8');
    expect(server).toMatch(/import \{[^}]*\banswersSchema\b[^}]*\} from '[./]+shared\/registration-form\.js'/);
    // The page loads the module with the first check (zod stays out of the first visit), then calls the same function.
    expect(page).toMatch(/import\('\.\.\/\.\.\/shared\/registration-form'\)/);
    expect(page).toMatch(/answersSchema\(form\(\)\.fields\)/);
    expect(sharedForm.answersSchema).toBe(answersSchema);
    expect(Object.keys(serverSignup)).not.toContain('answersSchema');
  });
});

describe('sign-up with admin-defined fields', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
  });
  afterAll(() => app.stop());
  beforeEach(async () => {
    await app.services.em().transactional(async (tx) => {
      await writeSetting(tx, 'requireEmailVerification', false);
      await writeSetting(tx, 'autoApprove', false);
    });
  });

  it('publishing creates versions and an event; the register page reads the newest', async () => {
    expect(await app.caller().auth.registrationForm()).toEqual({ version: 0, fields: [] });
    const v1 = await admin.caller.admin.settings.registrationForm.publish({
      fields: [
        { key: 'company', label: 'Company', type: 'text', required: true, showInPendingQueue: true },
        { key: 'plan', label: 'Plan', type: 'select', options: ['Free', 'Pro'], required: true },
      ],
    });
    expect(v1.version).toBe(1);
    const current = await app.caller().auth.registrationForm();
    expect(current.version).toBe(1);
    expect(current.fields.map((f) => f.key)).toEqual(['company', 'plan']);
    const [ev] = await sql(app, `select data, actor_id from domain_event where type = 'registration_form.published' order by id desc limit 1`);
    expect(ev).toMatchObject({ data: { version: 1, keys: ['company', 'plan'] }, actor_id: admin.id });
    // Non-admins cannot publish.
    const err = await app
      .caller()
      .admin.settings.registrationForm.publish({ fields: [] })
      .catch((e) => e);
    expect(err.code).toBe('FORBIDDEN');
  });

  it('refuses bad answers with field messages, a stale form version, and stores good answers with the version', async () => {
    const form1 = await app.caller().auth.registrationForm();
    const bad = await app
      .caller()
      .auth.signup(form(uniqueEmail('f'), { formVersion: form1.version, answers: { company: '', plan: 'Enterprise' } }))
      .catch((e) => e);
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.cause?.fieldErrors ?? bad.fieldErrors).toBeDefined();
    const stale = await app
      .caller()
      .auth.signup(form(uniqueEmail('f'), { formVersion: 0, answers: { company: 'Acme', plan: 'Pro' } }))
      .catch((e) => e);
    expect(stale.code).toBe('CONFLICT');

    const email = uniqueEmail('answers');
    expect(
      await app.caller().auth.signup(form(email, { formVersion: form1.version, answers: { company: ' Acme Ltd ', plan: 'Pro', extra: 'dropped' } })),
    ).toEqual({ status: 'pending' });
    const [u] = await sql(app, `select registration_answers, registration_form_version from app_user where email = ?`, [email]);
    expect(u).toEqual({ registration_answers: { company: 'Acme Ltd', plan: 'Pro' }, registration_form_version: 1 });
  });

  it('answers show on the user page, in the pending queue columns, and are searchable', async () => {
    const [u] = await sql(app, `select id from app_user where registration_answers->>'company' = 'Acme Ltd'`);
    const card = await admin.caller.admin.users.answers.ofUser({ userId: u.id });
    expect(card).toEqual({
      formVersion: 1,
      items: [
        { key: 'company', label: 'Company', value: 'Acme Ltd', removed: false },
        { key: 'plan', label: 'Plan', value: 'Pro', removed: false },
      ],
    });
    const queue = await admin.caller.admin.users.answers.forPending({ userIds: [u.id] });
    expect(queue.columns).toEqual([{ key: 'company', label: 'Company', type: 'text' }]);
    expect(queue.answers[u.id]).toEqual({ company: 'Acme Ltd' });
    const found = await admin.caller.admin.users.list({ search: 'acme ltd' });
    expect(found.items.map((i) => i.id)).toEqual([u.id]);
    const pendingFound = await admin.caller.admin.users.list({ status: 'pending', search: 'ACME' });
    expect(pendingFound.items.map((i) => i.id)).toContain(u.id);
    // Keys are not searched: "company" is a key, not an answer.
    expect((await admin.caller.admin.users.list({ search: 'company' })).items).toEqual([]);
  });

  it("a removed field's old answers stay readable with the label of the version they answered", async () => {
    const [u] = await sql(app, `select id from app_user where registration_answers->>'company' = 'Acme Ltd'`);
    const v2 = await admin.caller.admin.settings.registrationForm.publish({ fields: [{ key: 'website', label: 'Website', type: 'url' }] });
    expect(v2.version).toBe(2);
    const card = await admin.caller.admin.users.answers.ofUser({ userId: u.id });
    expect(card.items).toEqual([
      { key: 'company', label: 'Company', value: 'Acme Ltd', removed: true },
      { key: 'plan', label: 'Plan', value: 'Pro', removed: true },
    ]);
    // The new form applies to new sign-ups: the URL type is checked by the server.
    const err = await app
      .caller()
      .auth.signup(form(uniqueEmail('w'), { formVersion: 2, answers: { website: 'not a url' } }))
      .catch((e) => e);
    expect(err.code).toBe('BAD_REQUEST');
    expect(await app.caller().auth.signup(form(uniqueEmail('w'), { formVersion: 2, answers: { website: 'https://acme.example' } }))).toEqual({
      status: 'pending',
    });
  });

  it('the admin-new-registration email can use {{answers.<key>}}', async () => {
    await admin.caller.admin.settings.registrationForm.publish({ fields: [{ key: 'company', label: 'Company', type: 'text' }] });
    const email = uniqueEmail('mailvars');
    await app.caller().auth.signup(form(email, { formVersion: 3, answers: { company: 'Initech' } }));
    const [row] = await sql(app, `select variables from email_outbox where template = 'admin-new-registration' and to_address = ? order by id desc limit 1`, [
      admin.email,
    ]);
    expect(row.variables.answers).toEqual({ company: 'Initech' });
    // An admin's text may name the answer; the renderer fills it in (escaped), and unknown names stay refused.
    const renderer = await loadEmailRenderer();
    const mainText = 'New: {{userName}} from {{answers.company}}{{answers.missing}}.';
    expect(unknownPlaceholders('admin-new-registration', mainText)).toEqual([]);
    expect(unknownPlaceholders('registration-received', '{{answers.company}}')).toEqual(['answers.company']);
    const e = renderer.render(
      'admin-new-registration',
      { ...row.variables, answers: { company: 'Initech <b>' } },
      {
        portalName: 'Portal',
        publicUrl: 'https://portal.example',
        mainText,
      },
    );
    expect(e.text).toContain('from Initech <b>.');
    expect(e.html).toContain('from Initech &lt;b&gt;.');
  });
});
