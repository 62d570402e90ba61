import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { sql, startTestApp, type TestApp } from '../support/app.js';
import { httpClient } from '../support/http.js';
import { adminSession, insertUser, uniqueEmail } from '../support/users.js';
import { emailSchema } from '../../shared/schemas/common.js';
import { displayEmail } from '../../shared/email.js';
import { encodeCursor } from '../../server/users/users.repository.js';

/**
 * Issue 10, item 6: one rule for every human-entered text (shared/text.ts through the shared zod
 * schemas), driven through the real procedures over HTTP: a bad value answers 400 with the field's
 * message and changes nothing (never a 500, never a silently altered value); a good one is stored
 * normalised. Then the email address rule, and forged keyset cursors.
 */

// Each bad value, the words its message contains, and which kinds of field refuse it.
const BAD: { what: string; value: (s: string) => string; problem: RegExp; kinds: ('name' | 'line' | 'multiline')[] }[] = [
  { what: 'NUL', value: (s) => `${s}\u0000x`, problem: /NUL character/, kinds: ['name', 'line', 'multiline'] },
  { what: 'a lone surrogate', value: (s) => `${s}\uD800x`, problem: /lone surrogate/, kinds: ['name', 'line', 'multiline'] },
  { what: 'an RTL override', value: (s) => `${s}\u202Egnp.exe`, problem: /text-direction override/, kinds: ['name', 'line', 'multiline'] },
  { what: 'a C1 control', value: (s) => `${s}\u0085x`, problem: /control character/, kinds: ['name', 'line', 'multiline'] },
  { what: 'CR/LF', value: (s) => `${s}\r\nBcc: x@evil.test`, problem: /single line/, kinds: ['name', 'line'] },
  { what: 'a zero-width space', value: (s) => `${s.slice(0, 1)}\u200B${s.slice(1)}`, problem: /invisible character/, kinds: ['name'] },
];

describe('text that cannot lie', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let client: ReturnType<typeof httpClient>;
  let anon: ReturnType<typeof httpClient>;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
    client = httpClient(app.url, { sessionId: admin.sessionId, origin: app.origin, batch: false });
    anon = httpClient(app.url, { origin: app.origin, batch: false });
  });
  afterAll(() => app.stop());

  /** The refusal over HTTP: 400, and the field's message. */
  async function refusal(p: Promise<unknown>, field: string): Promise<string> {
    const e = await p.then(
      () => {
        throw new Error('expected a refusal');
      },
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(TRPCClientError);
    const err = e as TRPCClientError<any>;
    expect(err.data?.httpStatus).toBe(400);
    const msg = err.data?.fieldErrors?.[field] as string | undefined;
    expect(msg, `field message for ${field}: ${err.message}`).toBeTruthy();
    return msg!;
  }
  const snapshot = async (table: string) => JSON.stringify(await sql(app, `select * from ${table} order by 1`));
  const org = async () => (await sql(app, `select id from organisation where is_default`))[0].id as string;

  const refusedBy = (kind: 'name' | 'line' | 'multiline') => BAD.filter((b) => b.kinds.includes(kind));

  describe.each(refusedBy('name'))('a name with $what', ({ value, problem }) => {
    it('sign-up refuses it and stores no user', async () => {
      const email = uniqueEmail('signup');
      const msg = await refusal(
        anon.auth.signup.mutate({ firstName: value('Ada'), lastName: 'Lovelace', email, password: 'a long passphrase', confirmPassword: 'a long passphrase' }),
        'firstName',
      );
      expect(msg).toMatch(/^First name /);
      expect(msg).toMatch(problem);
      expect(await sql(app, `select 1 from app_user where email = ?`, [email])).toHaveLength(0);
    });

    it('organisations refuse it on create and rename', async () => {
      const before = await snapshot('organisation');
      expect(await refusal(client.admin.organisations.create.mutate({ name: value('Acme') }), 'name')).toMatch(problem);
      expect(await refusal(client.admin.organisations.rename.mutate({ id: await org(), name: value('Acme') }), 'name')).toMatch(problem);
      expect(await snapshot('organisation')).toBe(before);
    });

    it('user edit refuses it', async () => {
      const u = await insertUser(app, { firstName: 'Edit', lastName: 'Me' });
      const [row] = await sql(app, `select version, role from app_user where id = ?`, [u.id]);
      const msg = await refusal(
        client.admin.users.update.mutate({
          userId: u.id,
          expectedVersion: row.version,
          firstName: 'Edit',
          lastName: value('Me'),
          organisationId: await org(),
          role: row.role,
        }),
        'lastName',
      );
      expect(msg).toMatch(/^Last name /);
      expect((await sql(app, `select last_name, version from app_user where id = ?`, [u.id]))[0]).toEqual({ last_name: 'Me', version: row.version });
    });
  });

  describe.each(refusedBy('line'))('a single line with $what', ({ value, problem }) => {
    it('the sender name, a template subject and the portal name refuse it', async () => {
      const before = await snapshot('setting');
      expect(await refusal(client.admin.settings.emails.saveSender.mutate({ mailFromName: value('Portal'), mailFromAddress: '' }), 'mailFromName')).toMatch(
        /^Sender name /,
      );
      expect(
        await refusal(client.admin.settings.emails.saveTemplate.mutate({ template: 'welcome', subject: value('Hi'), mainText: 'Hello' }), 'subject'),
      ).toMatch(problem);
      const general = await client.admin.settings.general.get.query();
      expect(await refusal(client.admin.settings.general.update.mutate({ ...general, portalName: value('Portal') }), 'portalName')).toMatch(/^Portal name /);
      expect(await snapshot('setting')).toBe(before);
    });
  });

  describe.each(refusedBy('multiline'))('a multi-line text with $what', ({ value, problem }) => {
    it('a reject reason refuses it', async () => {
      const u = await insertUser(app, { status: 'pending' });
      const msg = await refusal(client.admin.users.reject.mutate({ userId: u.id, expectedVersion: 1, reason: value('Not a developer') }), 'reason');
      expect(msg).toMatch(problem);
      expect((await sql(app, `select status from app_user where id = ?`, [u.id]))[0].status).toBe('pending');
    });

    it("an email's main text refuses it", async () => {
      const before = await snapshot('setting');
      expect(
        await refusal(client.admin.settings.emails.saveTemplate.mutate({ template: 'welcome', subject: 'Hi', mainText: value('Hello') }), 'mainText'),
      ).toMatch(/^Main text /);
      expect(await snapshot('setting')).toBe(before);
    });
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone surrogate', 'a\uDC00b'],
  ])('search boxes answer 400 to %s, never 500', async (_what, search) => {
    await refusal(client.admin.users.list.query({ search }), 'search');
    await refusal(client.admin.users.bulk.pending.query({ search }), 'search');
    await refusal(client.admin.mail.messages.query({ search }), 'search');
  });

  it('stores good values normalised: NFC, trimmed, CR LF as LF', async () => {
    const decomposed = 'Ade\u0301le'; // "Adèle" typed with a combining acute accent
    const email = uniqueEmail('good');
    await anon.auth.signup.mutate({
      firstName: `  ${decomposed} `,
      lastName: 'Zoë',
      email,
      password: 'a long passphrase',
      confirmPassword: 'a long passphrase',
    });
    const [u] = await sql(app, `select id, first_name, last_name from app_user where email = ?`, [email]);
    expect(u.first_name).toBe('Ad\u00e9le');
    expect(u.first_name).not.toContain('\uFFFD');

    const created = await client.admin.organisations.create.mutate({ name: `  ${decomposed}  Labs ` });
    expect(created.name).toBe('Ad\u00e9le  Labs');

    const pending = await insertUser(app, { status: 'pending' });
    await client.admin.users.reject.mutate({ userId: pending.id, expectedVersion: 1, reason: 'Line one\r\n\tLine two  ' });
    expect((await sql(app, `select rejection_reason from app_user where id = ?`, [pending.id]))[0].rejection_reason).toBe('Line one\n\tLine two');

    const general = await client.admin.settings.general.get.query();
    await client.admin.settings.general.update.mutate({ ...general, portalName: ` ${decomposed} Portal ` });
    expect((await client.admin.settings.general.get.query()).portalName).toBe('Ad\u00e9le Portal');
    await client.admin.settings.general.update.mutate(general);

    await client.admin.settings.emails.saveTemplate.mutate({ template: 'welcome', subject: ` Bienvenue ${decomposed} `, mainText: 'Hello\r\nthere' });
    const welcome = (await client.admin.settings.emails.get.query()).templates.find((t) => t.name === 'welcome')!;
    expect([welcome.subject, welcome.mainText]).toEqual(['Bienvenue Ad\u00e9le', 'Hello\nthere']);
    await client.admin.settings.emails.resetTemplate.mutate({ template: 'welcome' });
  });

  it('organisation names that differ only by case, Unicode form or runs of spaces are the same name; invisible look-alikes are refused', async () => {
    await client.admin.organisations.create.mutate({ name: 'Paypal Holdings' });
    for (const twin of ['PAYPAL holdings', 'Paypal   Holdings', 'Ｐａｙｐａｌ Holdings', 'Paypal\u00a0Holdings']) {
      const e = await client.admin.organisations.create.mutate({ name: twin }).catch((x: TRPCClientError<any>) => x);
      expect(e, twin).toBeInstanceOf(TRPCClientError);
      expect((e as TRPCClientError<any>).data?.reason, twin).toBe('NAME_TAKEN');
    }
    for (const lookAlike of ['Pay\u200Bpal Holdings', 'Paypal Holdings\u202E', '\u2066Paypal Holdings\u2069', 'Paypal\u00adHoldings']) {
      await refusal(client.admin.organisations.create.mutate({ name: lookAlike }), 'name');
    }
    const other = await client.admin.organisations.create.mutate({ name: 'Other Org' });
    const e = await client.admin.organisations.rename.mutate({ id: other.id, name: 'paypal  HOLDINGS' }).catch((x: TRPCClientError<any>) => x);
    expect((e as TRPCClientError<any>).data?.reason).toBe('NAME_TAKEN');
    // Renaming to another case of its own name is fine.
    expect((await client.admin.organisations.rename.mutate({ id: other.id, name: 'OTHER org' })).name).toBe('OTHER org');
    expect(await sql(app, `select count(*)::int as n from organisation where name_key = 'paypal holdings'`)).toEqual([{ n: 1 }]);
  });

  describe('email addresses: one rule', () => {
    const local64 = 'a'.repeat(64);
    const VALID: [string, string][] = [
      ['ada@example.com', 'ada@example.com'],
      ['  Ada.Lovelace+portal@Example.COM ', 'Ada.Lovelace+portal@example.com'],
      ["o'brien!#$%&*/=?^_`{|}~-@example.org", "o'brien!#$%&*/=?^_`{|}~-@example.org"],
      ['"john doe"@example.com', '"john doe"@example.com'],
      ['"a\\"b"@example.com', '"a\\"b"@example.com'],
      ['user@bücher.example', 'user@xn--bcher-kva.example'],
      ['user@例え.テスト', 'user@xn--r8jz45g.xn--zckzah'],
      [`${local64}@example.com`, `${local64}@example.com`],
      [
        `x@${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.io`,
        `x@${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.io`,
      ],
    ];
    const INVALID: [string, RegExp][] = [
      ['', /required/],
      ['plainaddress', /valid email/],
      ['@example.com', /valid email/],
      ['user@', /valid email/],
      ['user@localhost', /valid email/],
      ['user@[192.0.2.1]', /valid email/],
      ['user@192.0.2.1', /valid email/],
      ['a..b@example.com', /valid email/],
      ['.a@example.com', /valid email/],
      ['a b@example.com', /valid email/],
      ['"unterminated@example.com', /valid email/],
      ['jürgen@example.com', /valid email/],
      ['user@-example.com', /valid email/],
      ['user@exa_mple.com', /valid email/],
      [`${'a'.repeat(65)}@example.com`, /at most 64/],
      [`x@${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.io`, /at most 254/],
      ['user@example.com\r\nBcc: x@evil.test', /invalid characters|valid email/],
      ['user\u0000@example.com', /invalid characters|valid email/],
    ];
    it.each(VALID)('accepts %j as %j', (input, stored) => {
      const r = emailSchema.safeParse(input);
      expect(r.success && r.data).toBe(stored);
    });
    it.each(INVALID)('refuses %j', (input, message) => {
      const r = emailSchema.safeParse(input);
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]!.message).toMatch(message);
    });
    it('an internationalised domain is stored as punycode and shown as Unicode', async () => {
      const email = `idn.${Date.now()}@bücher.example`;
      await anon.auth.signup.mutate({ firstName: 'Ida', lastName: 'Domain', email, password: 'a long passphrase', confirmPassword: 'a long passphrase' });
      const [row] = await sql(app, `select email from app_user where email like 'idn.%@xn--bcher-kva.example'`);
      expect(row.email).toBe(email.replace('bücher', 'xn--bcher-kva'));
      expect(displayEmail(row.email)).toBe(email);
      const list = await client.admin.users.list.query({ search: 'xn--bcher-kva' });
      expect(list.items.map((i) => i.email)).toContain(row.email);
      await refusal(
        anon.auth.signup.mutate({
          firstName: 'Ida',
          lastName: 'Literal',
          email: 'ida@[192.0.2.1]',
          password: 'a long passphrase',
          confirmPassword: 'a long passphrase',
        }),
        'email',
      );
    });
  });

  describe('forged keyset cursors answer 400, never 500', () => {
    const uuid = '00000000-0000-4000-8000-000000000000';
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const FORGED: [string, string][] = [
      ['an impossible date', encodeCursor({ seg: 1, at: '2024-13-45T99:99:99Z', id: uuid })],
      ['February 30th', encodeCursor({ seg: 1, at: '2024-02-30T10:00:00.000000Z', id: uuid })],
      ['year zero', encodeCursor({ seg: 1, at: '0000-01-01T00:00:00Z', id: uuid })],
      ['garbage', 'not-a-cursor!!'],
      ['base64 of garbage', Buffer.from('\u0000\u00ff{[').toString('base64url')],
      ['a wrong shape', b64({ seg: 1 })],
      ['a bad id', b64([1, '2024-01-01T00:00:00Z', "1' or '1'='1"])],
    ];
    it.each(FORGED)('users.list and the pending queue refuse %s', async (_what, cursor) => {
      for (const call of [() => client.admin.users.list.query({ cursor }), () => client.admin.users.bulk.pending.query({ cursor })]) {
        const e = (await call().catch((x) => x)) as TRPCClientError<any>;
        expect(e).toBeInstanceOf(TRPCClientError);
        expect(e.data?.httpStatus).toBe(400);
        expect(e.data?.reason === 'INVALID_CURSOR' || e.data?.fieldErrors?.cursor).toBeTruthy();
      }
    });
    it.each([
      ['a negative id', -5],
      ['a fraction', 1.5],
      ['a number past 2^53', 2 ** 60],
      ['a string', 'abc'],
    ])('the timeline, mailbox and outbox refuse %s', async (_what, cursor) => {
      const u = await insertUser(app, {});
      const calls = [
        () => client.admin.users.timeline.query({ userId: u.id, before: cursor as number }),
        () => client.admin.mail.messages.query({ cursor: cursor as number }),
        () => client.admin.mail.outbox.query({ cursor: cursor as number }),
      ];
      for (const call of calls) {
        const e = (await call().catch((x) => x)) as TRPCClientError<any>;
        expect(e).toBeInstanceOf(TRPCClientError);
        expect(e.data?.httpStatus).toBe(400);
      }
    });
    it('a genuine cursor still pages', async () => {
      for (let i = 0; i < 3; i++) await insertUser(app, { lastName: 'Pager' });
      const first = await client.admin.users.list.query({ search: 'pager', limit: 2 });
      expect(first.nextCursor).toBeTruthy();
      const second = await client.admin.users.list.query({ search: 'pager', limit: 2, cursor: first.nextCursor });
      expect(second.items.length).toBeGreaterThan(0);
    });
  });
});
