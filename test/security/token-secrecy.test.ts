import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Request } from 'playwright-core';
import { sql, startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage } from '../support/browser.js';
import { adminSession, insertUser, uniqueEmail } from '../support/users.js';
import { rawPost } from '../support/http.js';
import { SESSION_COOKIE } from '../../shared/constants.js';
import { requestPasswordReset } from '../../server/auth/password-reset.service.js';

/**
 * Issue 10, item 7: reset and invite tokens never sit where others can read them: not in URLs that
 * reach servers or proxies (fragment links, the check is a POST), not in the mailbox of every admin.
 */
describe('tokens stay secret', () => {
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    app = await startTestApp(); // no SMTP_URL: the built-in mailbox
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    // Unset when beforeAll failed before assigning them.
    await (browser as Browser | undefined)?.close();
    await (app as TestApp | undefined)?.stop();
  });

  /** The newest mailbox email to this address, once the worker has delivered it. */
  async function mailTo(to: string, template: string): Promise<{ id: number; text: string; link: string }> {
    await app.mailWorker!.drain();
    const [m] = await sql(app, `select id, text from mailbox_message where lower(to_address) = lower(?) and template = ? order by id desc limit 1`, [
      to,
      template,
    ]);
    const link = (m.text as string).match(/https?:\/\/[^\s<>"')\]]+/g)!.find((l) => /token=/.test(l))!;
    return { id: Number(m.id), text: m.text, link };
  }
  const tokenOf = (link: string) => new URLSearchParams(new URL(link).hash.slice(1)).get('token')!;

  async function resetLink(email: string) {
    await requestPasswordReset(app.services, email);
    return mailTo(email, 'password-reset');
  }

  async function inviteLink(admin: Awaited<ReturnType<typeof adminSession>>) {
    const email = uniqueEmail('invitee');
    const [org] = await sql(app, `select id from organisation where is_default`);
    await admin.caller.admin.users.add({ firstName: 'Ivy', lastName: 'Invitee', email, organisationId: org.id, mode: 'invite', sendInvite: true });
    return { email, ...(await mailTo(email, 'invite')) };
  }

  it('reset and invite links carry the token in the URL fragment, never in the path or query', async () => {
    const user = await insertUser(app, {});
    const reset = await resetLink(user.email);
    expect(reset.link).toMatch(new RegExp(`^${app.services.publicUrl()}/reset-password#token=[A-Za-z0-9_-]{43}$`));
    const invite = await inviteLink(await adminSession(app));
    expect(invite.link).toMatch(new RegExp(`^${app.services.publicUrl()}/invite#token=[A-Za-z0-9_-]{43}$`));
    for (const link of [reset.link, invite.link]) {
      const u = new URL(link);
      expect(u.pathname + u.search).not.toContain(tokenOf(link));
    }
  });

  it('auth.passwordReset.check is a POST: the token cannot be put in a /trpc URL', async () => {
    const user = await insertUser(app, {});
    const token = tokenOf((await resetLink(user.email)).link);
    const get = await fetch(`${app.url}/trpc/auth.passwordReset.check?input=${encodeURIComponent(JSON.stringify({ token }))}`, {
      headers: { origin: app.origin },
    });
    expect(get.status).toBe(405);
    expect(await get.text()).not.toContain(user.email);
    const post = await rawPost(app.url, 'auth.passwordReset.check', { token }, { origin: app.origin });
    expect(post.status).toBe(200);
    expect(JSON.stringify(await post.json())).toContain(user.email);
  });

  it('the mailbox shows an admin their own mail in full, and another admin its links only after "Reveal link", which is recorded', async () => {
    const owner = await adminSession(app);
    const other = await adminSession(app);
    const mail = await resetLink(owner.email);
    const token = tokenOf(mail.link);

    // What reaches the other admin's browser: neither the list nor the message carries the token.
    const get = async (sessionId: string, path: string, input: unknown) => {
      const res = await fetch(`${app.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, {
        headers: { origin: app.origin, cookie: `${SESSION_COOKIE}=${sessionId}` },
      });
      expect(res.status).toBe(200);
      return res.text();
    };
    expect(await get(other.sessionId, 'admin.mail.messages', { search: owner.email })).not.toContain(token);
    const hiddenBody = await get(other.sessionId, 'admin.mail.message', { id: mail.id });
    expect(hiddenBody).not.toContain(token);
    const hidden = await other.caller.admin.mail.message({ id: mail.id });
    expect(hidden.hiddenLinks).toBe(1);
    expect(hidden.text).toContain('/reset-password#token=[redacted]');
    expect(await sql(app, `select 1 from domain_event where type = 'mail.link_revealed'`)).toHaveLength(0);

    // The addressee sees it whole, and nothing is recorded.
    const own = await owner.caller.admin.mail.message({ id: mail.id });
    expect(own.hiddenLinks).toBe(0);
    expect(own.text).toContain(mail.link);
    expect(await get(owner.sessionId, 'admin.mail.message', { id: mail.id })).toContain(token);

    // "Reveal link": the whole email, and an event naming the admin and the message.
    const revealed = await other.caller.admin.mail.reveal({ id: mail.id });
    expect(revealed.text).toContain(mail.link);
    expect(revealed.html).toContain(token);
    const events = await sql(app, `select actor_id, data from domain_event where type = 'mail.link_revealed'`);
    expect(events).toHaveLength(1);
    expect(events[0].actor_id).toBe(other.id);
    expect(events[0].data).toMatchObject({ messageId: mail.id, adminId: other.id, template: 'password-reset', to: owner.email });
  });

  it('in a browser, the reset and invite pages post the token from the fragment and clear it from the address bar; no request URL carries it', async () => {
    const { page, context } = await newPage(browser);
    contexts.push(context);
    const requests: Request[] = [];
    page.on('request', (r) => requests.push(r));
    // What a server or proxy sees of a request: never the fragment.
    const sent = (r: Request) => {
      const u = new URL(r.url());
      return u.origin + u.pathname + u.search;
    };

    const user = await insertUser(app, { firstName: 'Rhea' });
    const reset = await resetLink(user.email);
    const token = tokenOf(reset.link);
    await page.goto(reset.link.replace(app.services.publicUrl(), app.origin));
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    expect(page.url()).not.toContain(token);
    const check = requests.find((r) => r.url().includes('auth.passwordReset.check'))!;
    expect(check.method()).toBe('POST');
    expect(check.postData()).toContain(token);
    await page.locator('input[name=password]').fill('a long fresh passphrase');
    await page.locator('input[name=confirmPassword]').fill('a long fresh passphrase');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByTestId('reset-done').waitFor();

    // A link mailed before the upgrade (?token=) still works once, and leaves the address bar too.
    const old = await resetLink(user.email);
    const oldToken = tokenOf(old.link);
    await page.goto(`${app.origin}/reset-password?token=${oldToken}`);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    expect(page.url()).toBe(`${app.origin}/reset-password`);

    // The invite link.
    const invite = await inviteLink(await adminSession(app));
    const inviteToken = tokenOf(invite.link);
    await page.goto(invite.link.replace(app.services.publicUrl(), app.origin));
    await page.getByRole('heading', { name: 'Create an Account' }).waitFor();
    expect(await page.locator('input[name=email]').inputValue()).toBe(invite.email);
    expect(page.url()).toBe(`${app.origin}/invite`);
    const inspect = requests.find((r) => r.url().includes('invite.inspect'))!;
    expect(inspect.method()).toBe('POST');
    // Another invite link opened in the same tab changes only the fragment: the page still takes it.
    const next = await inviteLink(await adminSession(app));
    await page.goto(next.link.replace(app.services.publicUrl(), app.origin));
    await expect
      .poll(
        () =>
          page
            .locator('input[name=email]')
            .inputValue()
            .catch(() => ''),
        { timeout: 15_000 },
      )
      .toBe(next.email);
    expect(page.url()).toBe(`${app.origin}/invite`);

    const trpcUrls = requests.map(sent).filter((u) => u.includes('/trpc'));
    expect(trpcUrls.length).toBeGreaterThan(2);
    for (const u of requests.map(sent)) {
      if (u.includes(`?token=${oldToken}`)) continue; // the old-style link itself, typed in above
      for (const t of [token, oldToken, inviteToken, tokenOf(next.link)]) expect(u).not.toContain(t);
    }
  });
});
