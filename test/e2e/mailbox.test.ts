import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sqlCount, startTestApp, type TestApp, E2E_SECURITY } from '../support/app.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { insertUser } from '../support/users.js';
import { expectNoAxeViolations, expectNoAxeViolationsAtWidths } from '../support/a11y.js';

async function logIn(page: Page, app: TestApp, email: string, password: string) {
  await page.goto(app.origin + '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

describe('password reset through the built-in mailbox, in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    // No SMTP_URL: emails go to the built-in mailbox.
    app = await startTestApp({ security: E2E_SECURITY }); // bot protection on: the widget solves in Chromium
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await (browser as Browser | undefined)?.close();
    await (app as TestApp | undefined)?.stop();
  });

  it('a developer asks for a reset, the admin sees the rendered email in the Mailbox, and the link sets a new password once', async () => {
    const admin = await insertUser(app, { role: 'admin', firstName: 'Grace', lastName: 'Admin' });
    const dev = await insertUser(app, { firstName: '<script>x</script>', lastName: 'Dev', password: 'old password here' });

    // The developer: Forgot password? on the login page.
    const visitor = await newPage(browser);
    contexts.push(visitor.context);
    const v = visitor.page;
    await v.goto(app.origin + '/login');
    await expectNoAxeViolationsAtWidths(v, 'login', { schemes: ['light', 'dark'] });
    await v.getByRole('link', { name: 'Forgot password?' }).click();
    await v.waitForURL('**/forgot-password');
    await v.getByLabel('Email').fill(dev.email);
    await v.getByRole('button', { name: 'Send reset link' }).click();
    await v.getByTestId('reset-requested').waitFor();
    expect(await v.getByTestId('reset-requested').textContent()).toContain(dev.email);
    await expectNoAxeViolationsAtWidths(v, 'forgot password: link sent');

    // The admin: Mailbox in the sidebar, the newest email selected and rendered.
    const adminTab = await newPage(browser, { width: 1400, height: 1000 });
    contexts.push(adminTab.context);
    const a = adminTab.page;
    await logIn(a, app, admin.email, admin.password!);
    await a.waitForURL('**/admin/**');
    await a.getByRole('link', { name: 'Mailbox' }).click();
    await a.waitForURL('**/admin/mailbox');
    await a.getByTestId('mailbox-row').filter({ hasText: dev.email }).first().click();
    await expect.poll(() => a.getByTestId('mailbox-subject').textContent()).toBe('Reset your Admit Developer Portal password');
    // Addressed to someone else: the one-time link is hidden until the admin reveals it (recorded).
    await a.getByTestId('links-hidden').waitFor();
    await screenshot(a, 'mailbox-link-hidden');
    await expectNoAxeViolationsAtWidths(a, 'mailbox');
    await a.getByTestId('reveal-link').click();
    await a.getByTestId('links-hidden').waitFor({ state: 'detached' });

    const frameEl = a.getByTestId('mailbox-frame');
    // Rendered in a sandbox that runs no script.
    const sandbox = await frameEl.getAttribute('sandbox');
    expect(sandbox).not.toBeNull();
    expect(sandbox).not.toContain('allow-scripts');
    expect(sandbox).not.toContain('allow-same-origin');
    const frame = a.frameLocator('[data-testid=mailbox-frame]');
    await frame.getByText('Choose a new password').waitFor();
    await frame.getByText('Admit Developer Portal', { exact: true }).waitFor();
    // The hostile first name is shown as text.
    await frame.getByText('Hi <script>x</script>,').waitFor();
    await screenshot(a, 'mailbox-reset-email');
    await expectNoAxeViolationsAtWidths(a, 'mailbox: reset email shown', { schemes: ['light', 'dark'] });

    const link = await frame.getByRole('link', { name: 'Choose a new password' }).getAttribute('href');
    expect(link).toMatch(/\/reset-password#token=[A-Za-z0-9_-]{43}$/);
    const listed = await a.locator('a.mailbox-link').allTextContents();
    expect(listed).toContain(link);

    // The plain-text part too.
    await a.getByRole('button', { name: 'Plain text' }).click();
    expect(await a.getByTestId('mailbox-text').textContent()).toContain(link!);

    // Back to the developer: the link opens the reset page.
    await v.goto(link!);
    await v.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await v.getByText(`For ${dev.email}`).waitFor();
    await expectNoAxeViolationsAtWidths(v, 'reset password');
    await v.locator('input[name=password]').fill('short');
    await v.getByLabel('Confirm new password').fill('short');
    await v.getByRole('button', { name: 'Set new password' }).click();
    await v.getByText('Password must be at least 8 characters').waitFor();
    await v.locator('input[name=password]').fill('a fresh passphrase');
    await v.getByLabel('Confirm new password').fill('a fresh passphrase');
    await v.getByRole('button', { name: 'Set new password' }).click();
    await v.getByTestId('reset-done').waitFor();
    await screenshot(v, 'reset-password-done');
    await expectNoAxeViolationsAtWidths(v, 'reset password: done');
    await v.getByRole('button', { name: 'Continue' }).click();
    await v.waitForURL('**/home');

    // Once used, the link explains itself and offers a new one.
    await v.goto(link!);
    await v.getByTestId('reset-refused').waitFor();
    expect(await v.getByTestId('reset-refused').textContent()).toContain('already been used');
    await expectNoAxeViolationsAtWidths(v, 'reset password: link used');
    expect(await v.getByRole('link', { name: 'Ask for a new link' }).getAttribute('href')).toBe('/forgot-password');

    // "Password changed" arrived in the mailbox as well.
    expect(await sqlCount(app, `select count(*) from mailbox_message where to_address = ? and template = 'password-changed'`, [dev.email])).toBe(1);
    // A long walk through two browsers (reveal included): more than the default 30 s on two shared cores.
  }, 90_000);

  it('an altered link is refused with a way to ask again', async () => {
    const { page, context } = await newPage(browser);
    contexts.push(context);
    await page.goto(app.origin + '/reset-password?token=' + 'A'.repeat(43));
    await page.getByTestId('reset-refused').waitFor();
    expect(await page.getByTestId('reset-refused').textContent()).toContain('not valid');
    await page.goto(app.origin + '/reset-password');
    await page.getByTestId('reset-refused').waitFor();
    expect(await page.getByTestId('reset-refused').textContent()).toContain('incomplete');
    await page.getByRole('link', { name: 'Ask for a new link' }).waitFor();
  });

  it('Settings > Emails previews a change live with the real template, saves it and resets it', async () => {
    const admin = await insertUser(app, { role: 'admin' });
    const { page, context } = await newPage(browser, { width: 1400, height: 1000 });
    contexts.push(context);
    await logIn(page, app, admin.email, admin.password!);
    await page.waitForURL('**/admin/**');
    await page.goto(app.origin + '/admin/settings/emails?template=welcome');
    await page.getByRole('link', { name: 'Emails' }).waitFor();
    const subject = page.getByLabel('Subject');
    await subject.waitFor();
    expect(await subject.inputValue()).toBe('Welcome to {{portalName}}');

    await subject.fill('Hello {{firstName}}, welcome aboard');
    await page.getByLabel('Main text').fill('Dear {{firstName}} <b>friend</b>,\n\nGlad to have you.');
    await expect.poll(() => page.getByTestId('preview-subject').textContent()).toBe('Hello Ada, welcome aboard');
    const preview = page.frameLocator('[data-testid=preview-frame]');
    await preview.getByText('Dear Ada <b>friend</b>,').waitFor();
    await preview.getByText('Glad to have you.').waitFor();
    await screenshot(page, 'settings-emails-preview');
    await expectNoAxeViolationsAtWidths(page, 'settings: emails with preview', { schemes: ['light', 'dark'] });

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Welcome email saved').waitFor();
    expect(await sqlCount(app, `select count(*) from setting where key = 'email.template.welcome'`)).toBe(1);

    await page.getByRole('button', { name: 'Reset to default' }).click();
    await expectNoAxeViolations(page, 'Reset email to default dialog');
    await page.getByRole('dialog').getByRole('button', { name: 'Reset to default' }).click();
    await page.getByText('Welcome email reset to default').waitFor();
    await expect.poll(() => subject.inputValue()).toBe('Welcome to {{portalName}}');
    expect(await sqlCount(app, `select count(*) from setting where key = 'email.template.welcome'`)).toBe(0);
    // Axe at two widths and both colour schemes on the way: more than the default 30 s on shared cores.
  }, 90_000);
});
