import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql, sqlCount, startTestApp, type TestApp } from '../support/app.js';
import { adminSession, insertUser, uniqueEmail } from '../support/users.js';
import { setRequireEmailVerification } from '../support/verify.js';
import { latestInviteToken } from '../server/invites/support.js';
import { solveAltcha } from './support/altcha.js';
import { onBotRefused } from '../../server/security/bot-protection.js';
import { writeSecuritySettings } from '../../server/settings/security-settings.service.js';
import { DEFAULT_SECURITY_SETTINGS, type BotPurpose, type SecuritySettings } from '../../shared/schemas/security.js';

const PASSWORD = 'a fine passphrase';
// Everything on, as shipped, with an easy proof-of-work so the test solves quickly.
const ON: Partial<SecuritySettings> = { ...DEFAULT_SECURITY_SETTINGS, powMaxNumber: 2_000, minSubmitSeconds: 2 };

const refusals: string[] = [];
onBotRefused((reason) => refusals.push(reason));

describe('bot protection without third parties (issue 10, item 5)', () => {
  let app: TestApp;
  let other: TestApp;
  let ip = 0;
  const nextIp = () => `203.0.113.${++ip % 250}`;

  beforeAll(async () => {
    app = await startTestApp({ security: ON, env: { MAIL_WORKER: 'false' } });
    other = await startTestApp({ db: app.db, security: ON, env: { MAIL_WORKER: 'false' } });
    await setRequireEmailVerification(app, false);
  });
  afterAll(async () => {
    // Unset when beforeAll failed before assigning them.
    await (other as TestApp | undefined)?.stop();
    await (app as TestApp | undefined)?.stop();
  });
  beforeEach(async () => {
    await writeSecuritySettings(app.services.em(), ON);
    app.clock.reset();
    other.clock.reset();
  });

  /** What a browser does: fetch the challenge with the page, solve it, wait like a person, submit. */
  async function formFields(purpose: BotPurpose, o: { solve?: boolean; waitMs?: number; on?: TestApp } = {}) {
    const c = await (o.on ?? app).caller({ ip: nextIp() }).auth.challenge({ purpose });
    const altcha = o.solve === false || !c.challenge ? undefined : await solveAltcha(c.challenge);
    app.clock.advance(o.waitMs ?? 2_500);
    other.clock.advance(o.waitMs ?? 2_500);
    return { formToken: c.formToken, ...(altcha ? { altcha } : {}), website: '' };
  }

  function signup(email: string, bot: Record<string, string> | undefined, on: TestApp = app) {
    return on
      .caller({ ip: nextIp() })
      .auth.signup({ firstName: 'Bot', lastName: 'Check', email, password: PASSWORD, confirmPassword: PASSWORD, ...(bot ? { bot } : {}) })
      .then(
        (r) => r.status as string,
        (e: any) => `${e.reason}:${e.cause?.details?.botCheck ?? ''}`,
      );
  }
  const stored = (email: string) => sqlCount(app, `select count(*) from app_user where lower(email) = lower(?)`, [email]);

  it('a sign-up with a solved challenge, an empty honeypot and a human pace goes through', async () => {
    const email = uniqueEmail('human');
    expect(await signup(email, await formFields('signup'))).toBe('pending');
    expect(await stored(email)).toBe(1);
  });

  it('missing, invalid and replayed solutions are refused, and never stored as users', async () => {
    refusals.length = 0;
    const missing = uniqueEmail('nopow');
    expect(await signup(missing, await formFields('signup', { solve: false }))).toMatch(/^BOT_CHECK_FAILED/);
    expect(await signup(missing, undefined)).toMatch(/^BOT_CHECK_FAILED/);

    const fields = await formFields('signup');
    const decoded = JSON.parse(Buffer.from(fields.altcha!, 'base64').toString()) as { solution: { derivedKey: string } };
    // Any other key than the one the work finds fails (the counter alone proves nothing: the key is checked against its signature).
    decoded.solution.derivedKey = (decoded.solution.derivedKey[0] === '0' ? '1' : '0') + decoded.solution.derivedKey.slice(1);
    const forged = uniqueEmail('forged');
    expect(await signup(forged, { ...fields, altcha: Buffer.from(JSON.stringify(decoded)).toString('base64') })).toMatch(/^BOT_CHECK_FAILED/);
    expect(await signup(forged, { ...fields, altcha: 'not base64 json' })).toMatch(/^BOT_CHECK_FAILED/);

    // A solution for another form does not pass.
    const resetFields = await formFields('reset');
    expect(await signup(uniqueEmail('wrongform'), { ...fields, altcha: resetFields.altcha! })).toMatch(/^BOT_CHECK_FAILED/);

    // Used once; replayed on the same process or on another one, refused.
    const first = uniqueEmail('first');
    expect(await signup(first, fields)).toBe('pending');
    const replay = uniqueEmail('replay');
    expect(await signup(replay, fields)).toMatch(/^BOT_CHECK_FAILED/);
    expect(await signup(replay, fields, other)).toMatch(/^BOT_CHECK_FAILED/);

    for (const e of [missing, forged, replay]) expect(await stored(e)).toBe(0);
    expect(refusals).toEqual(expect.arrayContaining(['pow_missing', 'form_token_missing', 'pow_invalid', 'pow_replayed']));
  });

  it('a filled honeypot is refused', async () => {
    const email = uniqueEmail('honey');
    expect(await signup(email, { ...(await formFields('signup')), website: 'https://spam.example' })).toMatch(/^BOT_CHECK_FAILED/);
    expect(await stored(email)).toBe(0);
  });

  it('a submit sooner than the minimum time after the page loaded is refused; a forged token too', async () => {
    const fast = await formFields('signup', { waitMs: 500 });
    const email = uniqueEmail('fast');
    const answer = await app
      .caller({ ip: nextIp() })
      .auth.signup({ firstName: 'Bot', lastName: 'Check', email, password: PASSWORD, confirmPassword: PASSWORD, bot: fast })
      .catch((e: any) => e);
    expect(answer.reason).toBe('BOT_CHECK_FAILED');
    expect(answer.message).toMatch(/quick/i);
    const forgedTime = fast.formToken.replace(/\.(\d+)\./, (_m, t) => `.${Number(t) - 60_000}.`);
    expect(await signup(email, { ...(await formFields('signup')), formToken: forgedTime })).toMatch(/^BOT_CHECK_FAILED/);
    expect(await stored(email)).toBe(0);
  });

  it('each switch off lets its check through', async () => {
    await writeSecuritySettings(app.services.em(), { powEnabled: false });
    const c = await app.caller().auth.challenge({ purpose: 'signup' });
    expect(c.challenge).toBeNull();
    expect(await signup(uniqueEmail('nopow'), { formToken: c.formToken, website: '' })).toMatch(/^BOT_CHECK_FAILED/);
    app.clock.advance(3_000);
    expect(await signup(uniqueEmail('nopow'), { formToken: c.formToken })).toBe('pending');

    await writeSecuritySettings(app.services.em(), { ...ON, honeypotEnabled: false });
    expect(await signup(uniqueEmail('nohoney'), { ...(await formFields('signup')), website: 'filled' })).toBe('pending');

    await writeSecuritySettings(app.services.em(), { ...ON, minSubmitSeconds: 0 });
    expect(await signup(uniqueEmail('nowait'), await formFields('signup', { waitMs: 0 }))).toBe('pending');

    await writeSecuritySettings(app.services.em(), { powEnabled: false, honeypotEnabled: false, minSubmitSeconds: 0 });
    expect(await signup(uniqueEmail('nothing'), undefined)).toBe('pending');
  });

  it('disposable addresses: refused, or sent to the pending queue with the disposable flag; blocked domains are refused', async () => {
    await writeSecuritySettings(app.services.em(), { ...ON, disposableEmails: 'refuse' });
    const refused = `bot.${Date.now()}@mailinator.com`;
    expect(await signup(refused, await formFields('signup'))).toMatch(/^EMAIL_DOMAIN_REFUSED/);
    expect(await stored(refused)).toBe(0);

    // Pending even where the policy would approve at once.
    await app.services
      .em()
      .execute(`insert into setting (key, value, updated_at) values ('autoApprove', 'true', now()) on conflict (key) do update set value = 'true'`);
    await writeSecuritySettings(app.services.em(), { ...ON, disposableEmails: 'pending' });
    const disposable = `dev.${Date.now()}@mailinator.com`;
    expect(await signup(disposable, await formFields('signup'))).toBe('pending');
    const [ev] = await sql(app, `select data from domain_event where type = 'user.registered' and data->'user'->>'email' = ?`, [disposable]);
    expect(ev.data).toMatchObject({ disposableEmail: true, autoApproved: false });
    expect(await signup(uniqueEmail('normal'), await formFields('signup'))).toBe('active');
    await app.services.em().execute(`delete from setting where key = 'autoApprove'`);

    await writeSecuritySettings(app.services.em(), { ...ON, blockedEmailDomains: ['spam.example'] });
    expect(await signup(`a.${Date.now()}@spam.example`, await formFields('signup'))).toMatch(/^EMAIL_DOMAIN_REFUSED/);
    expect(await signup(`b.${Date.now()}@mail.spam.example`, await formFields('signup'))).toMatch(/^EMAIL_DOMAIN_REFUSED/);
    expect(await sqlCount(app, `select count(*) from app_user where email like '%spam.example'`)).toBe(0);
  });

  it('the password-reset request and invite acceptance are protected the same way', async () => {
    const user = await insertUser(app);
    const reset = (bot?: Record<string, string>) =>
      app
        .caller({ ip: nextIp() })
        .auth.passwordReset.request({ email: user.email, ...(bot ? { bot } : {}) })
        .then(
          () => 'ok',
          (e: any) => e.reason,
        );
    expect(await reset()).toBe('BOT_CHECK_FAILED');
    expect(await reset({ ...(await formFields('reset')), website: 'x' })).toBe('BOT_CHECK_FAILED');
    expect(await reset(await formFields('reset'))).toBe('ok');

    const admin = await adminSession(app);
    const invited = await insertUser(app, { status: 'invited', password: null });
    await admin.caller.admin.invites.send({ userId: invited.id });
    const token = await latestInviteToken(app, invited.id);
    const accept = (bot?: Record<string, string>) =>
      app
        .caller({ ip: nextIp() })
        .invite.accept({ token, firstName: 'Ivy', lastName: 'Invitee', password: PASSWORD, confirmPassword: PASSWORD, ...(bot ? { bot } : {}) })
        .then(
          () => 'ok',
          (e: any) => e.reason,
        );
    expect(await accept()).toBe('BOT_CHECK_FAILED');
    expect(await accept(await formFields('signup'))).toBe('BOT_CHECK_FAILED');
    expect(await accept(await formFields('invite'))).toBe('ok');
  });

  it('Settings › Security is an admin setting with a settings.changed event', async () => {
    const admin = await adminSession(app);
    const current = await admin.caller.admin.settings.security.get();
    const saved = await admin.caller.admin.settings.security.update({ ...current, blockedEmailDomains: ['Spam.Example', 'spam.example'], powMaxNumber: 3_000 });
    expect(saved.blockedEmailDomains).toEqual(['spam.example']);
    const [ev] = await sql(app, `select data from domain_event where type = 'settings.changed' and actor_id = ? order by id desc limit 1`, [admin.id]);
    expect(Object.keys(ev.data.changes).sort()).toEqual(['blockedEmailDomains', 'powMaxNumber']);
    await expect(admin.caller.admin.settings.security.update({ ...current, powMaxNumber: 5 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
