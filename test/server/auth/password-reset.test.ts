import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { sessionIdFrom, sql, sqlCount, type TestApp } from '../../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../../support/smtp.js';
import { insertUser, loginAs, uniqueEmail } from '../../support/users.js';
import { createRateLimits } from '../../../server/security/rate-limit.js';

let ipCounter = 0;
/** Each test asks from its own address, so the per-IP limits of one test do not reach another. */
const freshIp = () => `10.0.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;

describe('password reset', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    // The real limits (scale 1), as in production.
    ({ app, smtp, stop } = await startTestAppWithSmtp({ limits: createRateLimits(1) }));
  });
  afterAll(() => stop());

  /** Asks for a reset and returns the token from the link in the email that arrives. */
  async function requestLink(email: string, ip = freshIp()): Promise<{ token: string; url: string }> {
    const before = smtp.messagesTo(email).length;
    await app.caller({ ip }).auth.passwordReset.request({ email });
    const all = await smtp.waitForMessages(before + 1, { match: (x) => x.envelopeTo.includes(email.toLowerCase()) });
    const m = all[before]!;
    expect(m.subject).toBe('Reset your Admit Developer Portal password');
    const url = m.links.find((l) => l.includes('/reset-password#token='))!;
    expect(url).toBeTruthy();
    return { url, token: new URLSearchParams(new URL(url).hash.slice(1)).get('token')! };
  }

  const errorOf = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: any) => e,
    );

  it('emails an active user a single-use link whose token only the SHA-256 of is stored, for one hour', async () => {
    const u = await insertUser(app, { firstName: 'Rosa' });
    const { token, url } = await requestLink(u.email);
    expect(url.startsWith(`${app.services.publicUrl()}/reset-password#token=`)).toBe(true);
    // ≥ 128 random bits: 32 bytes in base64url.
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const m = smtp.messagesTo(u.email).at(-1)!;
    expect(m.text).toContain('Hi Rosa,');
    expect(m.text).toContain('expires in 60 minutes');
    expect(m.html).toContain(`href="${url}"`);

    const rows = await sql(app, `select token_hash, expires_at, created_at, outbox_id from auth_token where user_id = ? and purpose = 'password_reset'`, [
      u.id,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(new Date(rows[0].expires_at).getTime() - new Date(rows[0].created_at).getTime()).toBe(60 * 60_000);
    expect(rows[0].outbox_id).not.toBeNull();

    // Once the email is sent, the raw token is nowhere in the database.
    await expect.poll(async () => (await sql(app, `select status from email_outbox where id = ?`, [rows[0].outbox_id]))[0].status).toBe('sent');
    for (const [table, column] of [
      ['email_outbox', 'variables::text'],
      ['auth_token', 'token_hash'],
      ['domain_event', 'data::text'],
      ['setting', 'value::text'],
    ]) {
      expect(await sqlCount(app, `select count(*) from ${table} where ${column} like ?`, [`%${token}%`])).toBe(0);
    }

    expect(await app.caller({ ip: freshIp() }).auth.passwordReset.check({ token })).toEqual({ email: u.email });
  });

  it('answers an unknown address, a pending account and an active one in exactly the same way', async () => {
    const active = await insertUser(app);
    const pending = await insertUser(app, { status: 'pending' });
    const unknown = uniqueEmail('nobody');
    const answers = [];
    for (const email of [active.email, pending.email, unknown]) {
      const caller = app.caller({ ip: freshIp() });
      answers.push({ result: await caller.auth.passwordReset.request({ email }), cookies: caller.cookies });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);

    await smtp.waitForMessageTo(active.email);
    // The worker is idle again: anything for the others would have gone out by now.
    await app.mailWorker!.drain();
    expect(smtp.messagesTo(pending.email)).toHaveLength(0);
    expect(smtp.messagesTo(unknown)).toHaveLength(0);
    expect(await sqlCount(app, `select count(*) from email_outbox where to_address in (?, ?)`, [pending.email, unknown])).toBe(0);
    expect(await sqlCount(app, `select count(*) from auth_token where user_id = ?`, [pending.id])).toBe(0);
  });

  it('sets the new password, ends every session, logs this browser in and sends "password changed"', async () => {
    const u = await insertUser(app, { firstName: 'Sam' });
    const laptop = await loginAs(app, u.email, u.password!);
    const phone = await loginAs(app, u.email, u.password!);
    const { token } = await requestLink(u.email);

    const browser = app.caller({ ip: freshIp() });
    expect(await browser.auth.passwordReset.complete({ token, password: 'a brand new passphrase', confirmPassword: 'a brand new passphrase' })).toEqual({
      ok: true,
    });

    // Logged in with a fresh session.
    const session = sessionIdFrom(browser.cookies);
    expect(session).toBeTruthy();
    expect((await app.caller({ sessionId: session }).auth.me()).user?.email).toBe(u.email);
    // Every earlier session is gone.
    for (const old of [laptop, phone]) expect((await app.caller({ sessionId: old }).auth.me()).user).toBeNull();
    expect(await sqlCount(app, `select count(*) from user_session where user_id = ?`, [u.id])).toBe(1);

    // The new password works, the old one does not.
    await loginAs(app, u.email, 'a brand new passphrase');
    const old = await errorOf(app.caller().auth.login({ email: u.email, password: u.password! }));
    expect(old?.code).toBe('UNAUTHORIZED');

    const changed = await smtp.waitForMessages(1, { match: (m) => m.envelopeTo.includes(u.email) && m.subject.includes('password was changed') });
    expect(changed[0]!.text).toContain('Hi Sam,');
    expect(changed[0]!.links).toContain(`${app.services.publicUrl()}/forgot-password`);

    const events = await sql(app, `select actor_id, data from domain_event where type = 'user.password_changed' and user_id = ?`, [u.id]);
    expect(events).toHaveLength(1);
    expect(events[0].data.via).toBe('reset');
    expect(events[0].actor_id).toBe(u.id);
  });

  it('refuses a link used once already, with a clear message, and changes nothing', async () => {
    const u = await insertUser(app);
    const { token } = await requestLink(u.email);
    await app.caller({ ip: freshIp() }).auth.passwordReset.complete({ token, password: 'first new password', confirmPassword: 'first new password' });

    const again = app.caller({ ip: freshIp() });
    const e = await errorOf(again.auth.passwordReset.complete({ token, password: 'second new password', confirmPassword: 'second new password' }));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.reason).toBe('TOKEN_USED');
    expect(e.message).toMatch(/already been used/);
    expect(e.message).toMatch(/ask for a new link/i);
    expect(sessionIdFrom(again.cookies)).toBeNull();
    const checked = await errorOf(app.caller({ ip: freshIp() }).auth.passwordReset.check({ token }));
    expect(checked.reason).toBe('TOKEN_USED');
    await loginAs(app, u.email, 'first new password');
  });

  it('lets exactly one of two simultaneous uses of a link win', async () => {
    const u = await insertUser(app);
    const { token } = await requestLink(u.email);
    const results = await Promise.allSettled(
      ['racer one password', 'racer two password'].map((password) =>
        app.caller({ ip: freshIp() }).auth.passwordReset.complete({ token, password, confirmPassword: password }),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason.reason).toBe('TOKEN_USED');
    expect(await sqlCount(app, `select count(*) from domain_event where type = 'user.password_changed' and user_id = ?`, [u.id])).toBe(1);
  });

  it('refuses an expired link (after one hour, on the app clock) and keeps the old password', async () => {
    const u = await insertUser(app);
    const { token } = await requestLink(u.email);
    app.clock.advance(59 * 60_000);
    expect(await app.caller({ ip: freshIp() }).auth.passwordReset.check({ token })).toEqual({ email: u.email });
    app.clock.advance(2 * 60_000);
    try {
      const checked = await errorOf(app.caller({ ip: freshIp() }).auth.passwordReset.check({ token }));
      expect(checked.reason).toBe('TOKEN_EXPIRED');
      expect(checked.message).toMatch(/expired/);
      const used = await errorOf(
        app.caller({ ip: freshIp() }).auth.passwordReset.complete({ token, password: 'too late password', confirmPassword: 'too late password' }),
      );
      expect(used.reason).toBe('TOKEN_EXPIRED');
      await loginAs(app, u.email, u.password!);
    } finally {
      app.clock.reset();
    }
  });

  it('refuses an altered token and a made-up one as invalid', async () => {
    const u = await insertUser(app);
    const { token } = await requestLink(u.email);
    const altered = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
    for (const t of [altered, 'x'.repeat(43)]) {
      const e = await errorOf(
        app.caller({ ip: freshIp() }).auth.passwordReset.complete({ token: t, password: 'whatever password', confirmPassword: 'whatever password' }),
      );
      expect(e.reason).toBe('TOKEN_INVALID');
      expect(e.message).toMatch(/not valid/);
    }
    // A truncated or malformed link is refused by validation, with a message for the page.
    const short = await errorOf(app.caller({ ip: freshIp() }).auth.passwordReset.check({ token: 'abc' }));
    expect(short.code).toBe('BAD_REQUEST');
    // The real link still works afterwards.
    expect(await app.caller({ ip: freshIp() }).auth.passwordReset.check({ token })).toEqual({ email: u.email });
  });

  it('replaces an earlier link when a newer one is asked for', async () => {
    const u = await insertUser(app);
    const first = await requestLink(u.email);
    const second = await requestLink(u.email);
    const e = await errorOf(app.caller({ ip: freshIp() }).auth.passwordReset.check({ token: first.token }));
    expect(e.reason).toBe('TOKEN_REVOKED');
    expect(e.message).toMatch(/replaced by a newer one/);
    expect(await app.caller({ ip: freshIp() }).auth.passwordReset.check({ token: second.token })).toEqual({ email: u.email });
  });

  it('applies the sign-up password rules and keeps the link usable after a refused password', async () => {
    const u = await insertUser(app);
    const { token } = await requestLink(u.email);
    const short = await errorOf(app.caller({ ip: freshIp() }).auth.passwordReset.complete({ token, password: 'short', confirmPassword: 'short' }));
    expect(short.code).toBe('BAD_REQUEST');
    const mismatch = await errorOf(
      app.caller({ ip: freshIp() }).auth.passwordReset.complete({ token, password: 'long enough 1', confirmPassword: 'long enough 2' }),
    );
    expect(mismatch.code).toBe('BAD_REQUEST');
    expect(await app.caller({ ip: freshIp() }).auth.passwordReset.check({ token })).toEqual({ email: u.email });
  });

  it('does not reset an account that was deactivated after the link was sent', async () => {
    const u = await insertUser(app);
    const { token } = await requestLink(u.email);
    await sql(app, `update app_user set status = 'inactive' where id = ?`, [u.id]);
    const e = await errorOf(
      app.caller({ ip: freshIp() }).auth.passwordReset.complete({ token, password: 'sneaky new password', confirmPassword: 'sneaky new password' }),
    );
    expect(e.reason).toBe('TOKEN_INVALID');
    expect(await sqlCount(app, `select count(*) from auth_token where user_id = ? and used_at is not null`, [u.id])).toBe(0);
  });

  it('limits requests per address and per IP before doing any work', async () => {
    const u = await insertUser(app);
    // Per address: 3 in 10 minutes, from any IPs.
    for (let i = 0; i < 3; i++) await app.caller({ ip: freshIp() }).auth.passwordReset.request({ email: u.email });
    const tooMany = await errorOf(app.caller({ ip: freshIp() }).auth.passwordReset.request({ email: u.email.toUpperCase() }));
    expect(tooMany.code).toBe('TOO_MANY_REQUESTS');
    expect(tooMany.reason).toBe('RATE_LIMITED');
    expect(await sqlCount(app, `select count(*) from auth_token where user_id = ?`, [u.id])).toBe(3);
    // An unknown address is limited the same way (no enumeration through the limiter).
    const nobody = uniqueEmail('limited');
    for (let i = 0; i < 3; i++) await app.caller({ ip: freshIp() }).auth.passwordReset.request({ email: nobody });
    expect((await errorOf(app.caller({ ip: freshIp() }).auth.passwordReset.request({ email: nobody }))).reason).toBe('RATE_LIMITED');

    // Per IP: 10 in 10 minutes, whatever the addresses.
    const ip = freshIp();
    const victims = await Promise.all(Array.from({ length: 11 }, () => insertUser(app)));
    for (const v of victims.slice(0, 10)) await app.caller({ ip }).auth.passwordReset.request({ email: v.email });
    const blocked = await errorOf(app.caller({ ip }).auth.passwordReset.request({ email: victims[10]!.email }));
    expect(blocked.reason).toBe('RATE_LIMITED');
    expect(await sqlCount(app, `select count(*) from auth_token where user_id = ?`, [victims[10]!.id])).toBe(0);
  });

  it('limits link checks per IP', async () => {
    const ip = freshIp();
    for (let i = 0; i < 30; i++) await errorOf(app.caller({ ip }).auth.passwordReset.check({ token: 'y'.repeat(43) }));
    const e = await errorOf(app.caller({ ip }).auth.passwordReset.check({ token: 'y'.repeat(43) }));
    expect(e.reason).toBe('RATE_LIMITED');
  });
});
