import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, sqlCount, startTestApp, type TestApp } from '../../support/app.js';
import { adminSession, developerSession, loginAs, uniqueEmail } from '../../support/users.js';
import { loadEmailRenderer } from '../../../server/mail/renderer.js';

const err = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: any) => e,
  );

describe('admin.users.add (Add new user)', () => {
  let app: TestApp;
  let admin: Awaited<ReturnType<typeof adminSession>>;
  let defaultOrg: string;
  beforeAll(async () => {
    app = await startTestApp();
    admin = await adminSession(app);
    defaultOrg = (await sql(app, `select id from organisation where is_default`))[0].id;
  });
  afterAll(() => app.stop());

  const base = (email = uniqueEmail('added')) => ({ firstName: 'Ada', lastName: 'Lovelace', email, organisationId: defaultOrg });

  it('with a password: active at once, must change the password by default (schema default), user.created names the admin', async () => {
    const input = { ...base(), mode: 'password' as const, password: 'set by the admin' };
    const { user, invite } = await admin.caller.admin.users.add(input);
    expect(user).toMatchObject({ email: input.email, status: 'active', role: 'developer', organisationId: defaultOrg });
    expect(invite).toBeNull();
    const sessionId = await loginAs(app, input.email, 'set by the admin');
    expect((await app.caller({ sessionId }).auth.me()).user?.mustChangePassword).toBe(true);
    const [ev] = await sql(app, `select actor_id, data from domain_event where type = 'user.created' and user_id = ?`, [user.id]);
    expect(ev).toMatchObject({ actor_id: admin.id, data: { mustChangePassword: true, user: { id: user.id, status: 'active' } } });
    expect(await sqlCount(app, `select count(*) from auth_token where user_id = ?`, [user.id])).toBe(0);
  });

  it('with a password: the user is emailed that an account was created, with the login link and never the password', async () => {
    const input = { ...base(), mode: 'password' as const, password: 'secret admin-chosen words' };
    const { user } = await admin.caller.admin.users.add(input);
    const rows = await sql(app, `select id, template, to_address, variables from email_outbox where user_id = ?`, [user.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      template: 'account-created',
      to_address: input.email,
      variables: { firstName: 'Ada', email: input.email, loginUrl: `${app.services.publicUrl()}/login` },
    });
    // Nowhere in the queued email, nor in the rendered one.
    expect(JSON.stringify(rows[0])).not.toContain(input.password);
    const renderer = await loadEmailRenderer();
    const rendered = renderer.render('account-created', rows[0].variables, { portalName: 'Admit', publicUrl: app.services.publicUrl() });
    expect(rendered.text).toContain(`${app.services.publicUrl()}/login`);
    expect(JSON.stringify(rendered)).not.toContain(input.password);
  });

  it('with a password and "must change" unticked: the user keeps the password the admin set', async () => {
    const input = { ...base(), mode: 'password' as const, password: 'kept by choice', mustChangePassword: false };
    const { user } = await admin.caller.admin.users.add(input);
    const sessionId = await loginAs(app, input.email, 'kept by choice');
    expect((await app.caller({ sessionId }).auth.me()).user?.mustChangePassword).toBe(false);
    const [ev] = await sql(app, `select data from domain_event where type = 'user.created' and user_id = ?`, [user.id]);
    expect(ev.data.mustChangePassword).toBe(false);
  });

  it('with a password and "must change at the next login": after logging in the user is held at the change', async () => {
    const input = { ...base(), mode: 'password' as const, password: 'temporary pass', mustChangePassword: true };
    const { user } = await admin.caller.admin.users.add(input);
    const sessionId = await loginAs(app, input.email, 'temporary pass');
    const caller = app.caller({ sessionId });
    expect((await caller.auth.me()).user?.mustChangePassword).toBe(true);
    await caller.auth.changePassword({ currentPassword: 'temporary pass', newPassword: 'my own password', confirmPassword: 'my own password' });
    expect(await sqlCount(app, `select count(*) from app_user where id = ? and must_change_password`, [user.id])).toBe(0);
    const [ev] = await sql(app, `select data from domain_event where type = 'user.created' and user_id = ?`, [user.id]);
    expect(ev.data.mustChangePassword).toBe(true);
  });

  it('without a password: the user is invited, cannot log in, and no invite goes out unless asked', async () => {
    const input = { ...base(), mode: 'invite' as const, sendInvite: false };
    const { user, invite } = await admin.caller.admin.users.add(input);
    expect(user.status).toBe('invited');
    expect(invite).toBeNull();
    expect((await sql(app, `select password_hash from app_user where id = ?`, [user.id]))[0].password_hash).toBeNull();
    expect(await sqlCount(app, `select count(*) from auth_token where user_id = ?`, [user.id])).toBe(0);
    expect(await sqlCount(app, `select count(*) from email_outbox where user_id = ?`, [user.id])).toBe(0);
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'user.invited' and user_id = ? and actor_id = ?`, [user.id, admin.id])).toBe(1);
    const e = await err(app.caller().auth.login({ email: input.email, password: 'anything at all' }));
    expect(e.reason).toBe('INVALID_CREDENTIALS');
  });

  it('without a password and "send the invite now": token, email and invite.sent in the same transaction', async () => {
    const input = { ...base(), mode: 'invite' as const, sendInvite: true };
    const { user, invite } = await admin.caller.admin.users.add(input);
    expect(invite).toMatchObject({ state: 'pending', sentBy: { id: admin.id } });
    const [token] = await sql(app, `select purpose, outbox_id, created_by_id from auth_token where user_id = ?`, [user.id]);
    expect(token).toMatchObject({ purpose: 'invite', created_by_id: admin.id });
    const [mail] = await sql(app, `select id, template, to_address from email_outbox where user_id = ?`, [user.id]);
    expect(mail).toMatchObject({ template: 'invite', to_address: input.email });
    expect(Number(token.outbox_id)).toBe(Number(mail.id));
    // The mail worker may already have delivered the invite (email.sent): only the add's own events count here.
    const types = (await sql(app, `select type from domain_event where user_id = ? and type not like 'email.%' order by id`, [user.id])).map((r) => r.type);
    expect(types).toEqual(['user.invited', 'invite.sent']);
  });

  it('setting a password and sending an invite exclude each other (schema), and nothing is created', async () => {
    const email = uniqueEmail('both');
    const attempts: Record<string, unknown>[] = [
      { ...base(email), mode: 'invite', password: 'a password too' },
      { ...base(email), mode: 'invite', mustChangePassword: true },
      { ...base(email), mode: 'password', password: 'a password', sendInvite: true },
      { ...base(email), mode: 'password' },
      { ...base(email) },
      { ...base(email), mode: 'both', password: 'a password', sendInvite: true },
    ];
    const fields: string[] = [];
    for (const input of attempts) {
      const e = await err((admin.caller.admin.users.add as any)(input));
      expect(e?.code, JSON.stringify(input)).toBe('BAD_REQUEST');
      fields.push(e.cause?.issues?.[0]?.path.join('.') ?? '');
    }
    expect(fields.slice(0, 4)).toEqual(['password', 'mustChangePassword', 'sendInvite', 'password']);
    expect(await sqlCount(app, `select count(*) from app_user where lower(email) = lower(?)`, [email])).toBe(0);
  });

  it('a taken email (in any letter case) is a clear field error for the admin', async () => {
    const email = uniqueEmail('taken');
    await admin.caller.admin.users.add({ ...base(email), mode: 'invite', sendInvite: false });
    const e = await err(admin.caller.admin.users.add({ ...base(email.toUpperCase()), mode: 'password', password: 'whatever 123' }));
    expect(e.code).toBe('CONFLICT');
    expect(e.reason).toBe('EMAIL_TAKEN');
    expect(e.fieldErrors).toEqual({ email: 'A user with this email already exists' });
    expect(await sqlCount(app, `select count(*) from app_user where lower(email) = lower(?)`, [email])).toBe(1);
  });

  it('two admins adding the same address at once: one user, the other admin is told', async () => {
    const other = await adminSession(app);
    const email = uniqueEmail('race');
    const results = await Promise.allSettled([
      admin.caller.admin.users.add({ ...base(email), mode: 'invite', sendInvite: true }),
      other.caller.admin.users.add({ ...base(email.toUpperCase()), mode: 'invite', sendInvite: true }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.reason).toBe('EMAIL_TAKEN');
    expect(await sqlCount(app, `select count(*) from app_user where lower(email) = lower(?)`, [email])).toBe(1);
    // The loser's transaction left nothing behind: one invite, one email.
    expect(await sqlCount(app, `select count(*) from email_outbox where lower(to_address) = lower(?)`, [email])).toBe(1);
  });

  it('puts the user in the chosen organisation; an unknown one is a field error', async () => {
    const org = await admin.caller.admin.organisations.create({ name: `Team ${Date.now()}` });
    const { user } = await admin.caller.admin.users.add({ ...base(), organisationId: org.id, mode: 'invite', sendInvite: false });
    expect(user).toMatchObject({ organisationId: org.id, organisationName: org.name });
    const e = await err(admin.caller.admin.users.add({ ...base(), organisationId: '00000000-0000-4000-8000-000000000000', mode: 'invite', sendInvite: false }));
    expect(e.fieldErrors.organisationId).toMatch(/no longer exists/);
  });

  it('refuses hostile input with field errors and creates nothing', async () => {
    const before = await sqlCount(app, `select count(*) from app_user`);
    const hostile: Record<string, unknown>[] = [
      { ...base(), mode: 'invite', firstName: 'Eve\r\nBcc: victim@example.test' },
      { ...base('victim@example.test\r\nBcc: x@example.test'), mode: 'invite' },
      { ...base(), mode: 'invite', lastName: 'x'.repeat(101) },
      { ...base(`${'a'.repeat(250)}@example.test`), mode: 'invite' },
      { ...base(), mode: 'invite', organisationId: "' or 1=1 --" },
      { ...base(), mode: 'invite', role: 'admin' },
      { ...base(), mode: 'invite', status: 'active' },
      { ...base(), mode: 'password', password: 'x'.repeat(257) },
      { ...base(), mode: 'password', password: 'short' },
      { ...base(), mode: 'password', password: 'long enough', mustChangePassword: 'yes' },
      { ...base(), mode: 'invite', firstName: { toString: 'x' } },
    ];
    for (const input of hostile) {
      const e = await err((admin.caller.admin.users.add as any)(input));
      expect(e?.code, JSON.stringify(input).slice(0, 120)).toBe('BAD_REQUEST');
    }
    expect(await sqlCount(app, `select count(*) from app_user`)).toBe(before);
  });

  it('trims names and email, and keeps what was typed otherwise (no HTML escaping at rest)', async () => {
    const email = uniqueEmail('trim');
    const { user } = await admin.caller.admin.users.add({
      firstName: '  <b>Bob</b> ',
      lastName: " O'Brien ",
      email: `  ${email} `,
      organisationId: defaultOrg,
      mode: 'invite',
      sendInvite: false,
    });
    expect(user).toMatchObject({ firstName: '<b>Bob</b>', lastName: "O'Brien", email });
  });

  it('refuses developers', async () => {
    const dev = await developerSession(app);
    const e = await err(dev.caller.admin.users.add({ ...base(), mode: 'invite', sendInvite: true }));
    expect(e.code).toBe('FORBIDDEN');
  });
});
