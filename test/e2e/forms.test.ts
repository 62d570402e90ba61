import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage } from '../support/browser.js';
import { adminSession, insertUser } from '../support/users.js';
import { expectNoAxeViolations } from '../support/a11y.js';
import { setRequireEmailVerification } from '../support/verify.js';
import { SESSION_COOKIE } from '../../shared/constants.js';

/** The label text of the focused control. */
const focusedLabel = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLInputElement | null;
    return el?.labels?.[0]?.textContent.replace(/\*/g, '').trim() ?? el?.tagName ?? null;
  });

describe('forms: checked on leaving a field and on submit, one wording, clear refusals', () => {
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const open = async (path: string) => {
    const { page, context } = await newPage(browser);
    contexts.push(context);
    await page.goto(app.origin + path);
    return page;
  };
  beforeAll(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
    await setRequireEmailVerification(app, false);
    await insertUser(app, { role: 'admin' }); // the portal is set up
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await (browser as Browser | undefined)?.close();
    await (app as TestApp | undefined)?.stop();
  });

  it('register: a field is checked when left, a failed submit focuses the first invalid field and announces a summary', async () => {
    const page = await open('/register');
    await page.getByRole('heading', { name: 'Create an Account' }).waitFor();
    // Tabbing through an untouched field says nothing.
    await page.getByLabel('First name').focus();
    await page.getByLabel('Last name').focus();
    expect(await page.locator('.field-error').count()).toBe(0);
    // A bad address is told when the field is left, before any submit.
    await page.getByLabel('Email').fill('not-an-address');
    await page.getByLabel('Last name').focus();
    await page.locator('.field-error').first().waitFor();
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    // Fixing it clears the message as it is typed.
    await page.getByLabel('Email').fill('ada@example.com');
    await expect.poll(() => page.getByLabel('Email').getAttribute('aria-invalid')).toBeNull();

    // Submit with names missing: focus goes to First name, the summary (role=alert) names the fields.
    await page.getByRole('button', { name: 'Register to developer portal' }).click();
    const alert = page.locator('[role=alert]').filter({ hasText: 'Please correct' });
    await alert.waitFor();
    const summary = (await alert.textContent()) ?? '';
    expect(summary).toMatch(/Please correct \d+ fields: First name, Last name/);
    expect(await focusedLabel(page)).toBe('First name');
    await expectNoAxeViolations(page, 'register: errors shown');
  });

  it('the same password rule gets the same words on register, reset and change password', async () => {
    const words: string[] = [];
    // Register.
    const reg = await open('/register');
    await reg.locator('input[name=password]').fill('a long enough passphrase');
    await reg.getByLabel('Confirm password').fill('something else entirely');
    await reg.getByRole('button', { name: 'Register to developer portal' }).click();
    words.push((await reg.locator('.field-error').filter({ hasText: /match/ }).first().textContent()) ?? '');
    // Change password (logged in as a developer).
    const dev = await insertUser(app, { password: 'correct horse battery' });
    const cp = await open('/login');
    await cp.getByLabel('Email').fill(dev.email);
    await cp.getByLabel('Password').fill(dev.password!);
    await cp.getByRole('button', { name: 'Log in' }).click();
    await cp.waitForURL('**/home');
    await cp.goto(app.origin + '/change-password');
    await cp.getByLabel('Current password').fill(dev.password!);
    await cp.locator('input[name=newPassword]').fill('a long enough passphrase');
    await cp.getByLabel('Confirm new password').fill('something else entirely');
    await cp.getByRole('button', { name: /Change password/ }).click();
    words.push((await cp.locator('.field-error').filter({ hasText: /match/ }).first().textContent()) ?? '');
    // An empty confirmation: the same words on both pages too.
    await cp.getByLabel('Confirm new password').fill('');
    await reg.getByLabel('Confirm password').fill('');
    const empty = [
      (await cp
        .locator('.field-error')
        .filter({ hasText: /confirm/i })
        .first()
        .textContent()) ?? '',
      (await reg
        .locator('.field-error')
        .filter({ hasText: /confirm/i })
        .first()
        .textContent()) ?? '',
    ];
    expect(words).toEqual(['Passwords do not match', 'Passwords do not match']);
    expect(empty).toEqual(['Please confirm the password', 'Please confirm the password']);
  });

  it('login: a wrong password keeps both fields and says only "Incorrect email or password"', async () => {
    const dev = await insertUser(app);
    const page = await open('/login');
    await page.getByLabel('Email').fill(dev.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    const alert = page.locator('[role=alert]').filter({ hasText: 'Incorrect email or password' });
    await alert.waitFor();
    expect((await alert.textContent())?.trim()).toBe('Incorrect email or password');
    expect(await page.getByLabel('Email').inputValue()).toBe(dev.email);
    expect(await page.getByLabel('Password').inputValue()).toBe('not the password');
    expect(await page.locator('.field-error').count()).toBe(0);
    expect(await page.getByText('Password is required').count()).toBe(0);
    await expectNoAxeViolations(page, 'login: wrong password');
  });

  it('login: a pending or declined account is told in an information box, not as an error', async () => {
    for (const status of ['pending', 'rejected'] as const) {
      const dev = await insertUser(app, { status });
      const page = await open('/login');
      await page.getByLabel('Email').fill(dev.email);
      await page.getByLabel('Password').fill(dev.password!);
      await page.getByRole('button', { name: 'Log in' }).click();
      const notice = page.getByTestId('login-notice');
      await notice.waitFor();
      expect(await notice.getAttribute('role')).toBe('status');
      expect(await notice.getAttribute('class')).toContain('alert-info');
      expect(await notice.textContent()).toMatch(status === 'pending' ? /awaiting approval by an administrator/ : /declined/);
      // No error announced (an empty alert region, e.g. the toasts' one, says nothing).
      const alerts = await page.evaluate(() => [...document.querySelectorAll('[role=alert]')].filter((e) => e.textContent.trim()).length);
      expect(alerts).toBe(0);
      await expectNoAxeViolations(page, `login: ${status} account`);
    }
  });

  it('a garbled invite link says the link is damaged, not "correct the highlighted fields"', async () => {
    const page = await open('/invite#token=abc-not-a-token');
    const err = page.getByTestId('invite-link-error');
    await err.waitFor();
    const text = (await err.textContent()) ?? '';
    expect(text).toContain('link is damaged');
    expect(text).not.toContain('highlighted');
    await page.getByRole('heading', { name: 'Invalid invitation link' }).waitFor();
    await expectNoAxeViolations(page, 'accept invite: damaged link');
  });

  it('Settings › General shows unsaved changes and asks before leaving with them', async () => {
    const admin = await adminSession(app);
    const { page, context } = await newPage(browser);
    contexts.push(context);
    await context.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);
    await page.goto(app.origin + '/admin/settings');
    const toggle = page.getByRole('switch', { name: 'Auto approve developer registration requests' });
    await toggle.waitFor();
    expect(await page.getByTestId('unsaved-changes').count()).toBe(0);
    await toggle.click();
    await page.getByTestId('unsaved-changes').waitFor();
    await expectNoAxeViolations(page, 'settings: general, unsaved changes');

    // Leaving for another page asks; "stay" keeps the page and the change.
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.getByRole('link', { name: 'Organisations' }).click();
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toContain('unsaved changes');
    expect(new URL(page.url()).pathname).toBe('/admin/settings');
    expect(await toggle.isChecked()).toBe(true);

    // Saved: no note, no question.
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByTestId('unsaved-changes').waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Organisations' }).click();
    await page.waitForURL('**/admin/organisations');
    await page.goto(app.origin + '/admin/settings');
    expect(await page.getByRole('switch', { name: 'Auto approve developer registration requests' }).isChecked()).toBe(true);
  }, 60_000);

  it('Settings › General: a save after someone else’s keeps their changes, keeps yours, and names the fields you both changed', async () => {
    const admin = await adminSession(app);
    const other = await adminSession(app);
    const before = await other.caller.admin.settings.general.get();
    const { page, context } = await newPage(browser);
    contexts.push(context);
    await context.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);
    await page.goto(app.origin + '/admin/settings');
    const portal = page.getByLabel('Portal name');
    await portal.waitFor();
    await portal.fill('Form Portal');

    // Meanwhile another admin changes the portal name too, and the invite lifetime.
    const lifetime = before.inviteLifetimeDays === 21 ? 22 : 21;
    await other.caller.admin.settings.general.update({ ...before, portalName: 'Their Portal', inviteLifetimeDays: lifetime, expectedVersion: before.version });

    await page.getByRole('button', { name: 'Save settings' }).click();
    await page
      .getByText(
        'Someone else saved these settings meanwhile. The form now has their changes and keeps yours; you both changed “Portal name”, and yours is shown. Check, then save again.',
      )
      .waitFor();
    expect(await portal.inputValue()).toBe('Form Portal');
    expect(await page.getByLabel('Invite lifetime (days)').inputValue()).toBe(String(lifetime));
    expect(await other.caller.admin.settings.general.get()).toMatchObject({ portalName: 'Their Portal', inviteLifetimeDays: lifetime });
    await expectNoAxeViolations(page, 'settings: general, saved meanwhile by someone else');

    // Saving again, knowingly: both changes are kept.
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByTestId('unsaved-changes').waitFor({ state: 'detached' });
    expect(await other.caller.admin.settings.general.get()).toMatchObject({ portalName: 'Form Portal', inviteLifetimeDays: lifetime });
    await other.caller.admin.settings.general.update(before);
  }, 60_000);

  it('Settings › Security: a save after someone else’s brings their change into the form and keeps yours', async () => {
    const admin = await adminSession(app);
    const other = await adminSession(app);
    const before = await other.caller.admin.settings.security.get();
    const { page, context } = await newPage(browser);
    contexts.push(context);
    await context.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);
    await page.goto(app.origin + '/admin/settings/security');
    const honeypot = page.getByRole('switch', { name: 'Honeypot field' });
    await honeypot.waitFor();
    await honeypot.click();

    const seconds = before.minSubmitSeconds === 9 ? 8 : 9;
    await other.caller.admin.settings.security.update({ ...before, minSubmitSeconds: seconds, expectedVersion: before.version });

    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Someone else saved these settings meanwhile. The form now has their changes and keeps yours. Check, then save again.').waitFor();
    expect(await page.getByLabel('Minimum time before submit (seconds)').inputValue()).toBe(String(seconds));
    expect(await honeypot.isChecked()).toBe(!before.honeypotEnabled);
    expect(await other.caller.admin.settings.security.get()).toMatchObject({ minSubmitSeconds: seconds, honeypotEnabled: before.honeypotEnabled });

    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByTestId('unsaved-changes').waitFor({ state: 'detached' });
    expect(await other.caller.admin.settings.security.get()).toMatchObject({ minSubmitSeconds: seconds, honeypotEnabled: !before.honeypotEnabled });
    const { version: _version, ...values } = before;
    await other.caller.admin.settings.security.update(values);
  }, 60_000);

  it('Settings › Emails, sender: saves, and a save after someone else’s keeps their change and yours', async () => {
    const admin = await adminSession(app);
    const other = await adminSession(app);
    const { page, context } = await newPage(browser);
    contexts.push(context);
    await context.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);
    await page.goto(app.origin + '/admin/settings/emails');
    const name = page.getByLabel('Sender name');
    await name.fill('Acme Developer Desk');
    await page.getByLabel('Sender address').fill('desk@acme.test');
    await page.getByRole('button', { name: 'Save sender' }).click();
    await page.getByTestId('effective-from').getByText('"Acme Developer Desk" <desk@acme.test>').waitFor();

    // Another admin changes the address; this form still shows the old one and changes the name.
    const sender = (await other.caller.admin.settings.emails.get()).sender;
    await other.caller.admin.settings.emails.saveSender({
      mailFromName: sender.mailFromName,
      mailFromAddress: 'team@acme.test',
      expectedVersion: sender.version,
    });
    await name.fill('Acme API Team');
    await page.getByRole('button', { name: 'Save sender' }).click();
    await page.getByText('Someone else saved these settings meanwhile. The form now has their changes and keeps yours. Check, then save again.').waitFor();
    expect(await page.getByLabel('Sender address').inputValue()).toBe('team@acme.test');
    expect((await other.caller.admin.settings.emails.get()).sender).toMatchObject({ mailFromName: 'Acme Developer Desk', mailFromAddress: 'team@acme.test' });
    await page.getByRole('button', { name: 'Save sender' }).click();
    await expect
      .poll(async () => (await other.caller.admin.settings.emails.get()).sender)
      .toMatchObject({ mailFromName: 'Acme API Team', mailFromAddress: 'team@acme.test' });
    await other.caller.admin.settings.emails.saveSender({ mailFromName: '', mailFromAddress: '' });
  }, 60_000);

  it('the retention and email-limit cards show unsaved changes too, ask before leaving, and stop asking once saved', async () => {
    const admin = await adminSession(app);
    const { page, context } = await newPage(browser);
    contexts.push(context);
    await context.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);
    const cases = [
      {
        path: '/admin/settings',
        field: 'Built-in mailbox messages (days)',
        value: '45',
        save: 'Save retention',
        card: page.locator('form', { has: page.getByRole('heading', { name: 'Data retention' }) }),
      },
      { path: '/admin/settings/emails', field: 'Per hour', value: '7', save: 'Save limits', card: page.getByTestId('mail-caps') },
    ];
    for (const c of cases) {
      await page.goto(app.origin + c.path);
      const input = c.card.getByLabel(c.field);
      await input.waitFor();
      expect(await c.card.getByTestId('unsaved-changes').count()).toBe(0);
      await input.fill(c.value);
      await c.card.getByTestId('unsaved-changes').waitFor();

      const asked: string[] = [];
      page.once('dialog', (d) => {
        asked.push(d.message());
        void d.dismiss();
      });
      await page.getByRole('link', { name: 'Organisations' }).click();
      await expect.poll(() => asked.length).toBe(1);
      expect(asked[0]).toContain('unsaved changes');
      expect(new URL(page.url()).pathname).toBe(c.path);
      expect(await input.inputValue()).toBe(c.value);

      await c.card.getByRole('button', { name: c.save }).click();
      await c.card.getByTestId('unsaved-changes').waitFor({ state: 'detached' });
      await page.getByRole('link', { name: 'Organisations' }).click();
      await page.waitForURL('**/admin/organisations');
    }
  }, 60_000);
});
