import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sql, type TestApp } from '../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../support/smtp.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';
import { insertUser, loginAs, uniqueEmail } from '../support/users.js';
import { verificationLink } from '../support/verify.js';
import { writeSetting } from '../../server/settings/settings.repository.js';
import { writeSecuritySettings } from '../../server/settings/security-settings.service.js';
import { DEFAULT_SECURITY_SETTINGS } from '../../shared/schemas/security.js';

const PASSWORD = 'my portal passphrase';

async function setSettings(app: TestApp, values: Record<string, unknown>) {
  await app.services.em().transactional(async (tx) => {
    for (const [k, v] of Object.entries(values)) await writeSetting(tx, k, v);
  });
}

async function userRow(app: TestApp, email: string) {
  const [r] = await sql(app, `select id, status, email_verified_at from app_user where lower(email) = lower(?)`, [email]);
  return r as { id: string; status: string; email_verified_at: Date | null };
}

/**
 * Registers through the real page with bot protection as shipped: the ALTCHA widget solves its
 * proof-of-work by itself, the honeypot stays empty, and the form is sent after the minimum time.
 */
async function register(page: Page, app: TestApp, u: { firstName: string; lastName: string; email: string }) {
  await page.goto(app.origin + '/register');
  const opened = Date.now();
  await page.getByRole('heading', { name: 'Create an Account' }).waitFor();
  await page.getByLabel('First name').fill(u.firstName);
  await page.getByLabel('Last name').fill(u.lastName);
  await page.getByLabel('Email').fill(u.email);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  // The widget is there and solves without any click.
  await page.locator('altcha-widget').waitFor({ state: 'attached' });
  const wait = DEFAULT_SECURITY_SETTINGS.minSubmitSeconds * 1000 + 300 - (Date.now() - opened);
  if (wait > 0) await page.waitForTimeout(wait);
  await page.getByRole('button', { name: 'Register to developer portal' }).click();
  await page
    .getByTestId('register-unverified')
    .waitFor()
    .catch(async (e) => {
      throw new Error(`${e}\n--- page: ${await page.locator('body').innerText()}`);
    });
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
}

/** Opens the emailed link: the page asks for a press and has verified nothing yet. */
async function openLink(page: Page, app: TestApp, smtp: SmtpPeer, email: string) {
  const { url } = await verificationLink(app, email, { smtp, timeoutMs: 15_000 });
  expect(new URL(url).origin).toBe(app.origin);
  await page.goto(url);
  await page.getByRole('heading', { name: 'Verify your email address' }).waitFor();
  await page.getByText(`For ${email}`).waitFor();
  await page.getByRole('button', { name: 'Verify my email address' }).waitFor();
  const u = await userRow(app, email);
  expect(u).toMatchObject({ status: 'unverified', email_verified_at: null });
  const [t] = await sql(app, `select count(*)::int as n from auth_token where user_id = ? and purpose = 'email_verify' and used_at is null`, [u.id]);
  expect(t.n).toBe(1);
  return u;
}

describe('email verification in a browser (bot protection as shipped, mail over real SMTP)', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  let browser: Browser;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp());
    await writeSecuritySettings(app.services.em(), DEFAULT_SECURITY_SETTINGS);
    await setSettings(app, { requireEmailVerification: true });
    await insertUser(app, { role: 'admin' }); // the portal is set up
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (stop as (() => Promise<void>) | undefined)?.();
  });

  it('auto-approve on: register → the email arrives over SMTP → the link shows a button, nothing verified → press → signed in at /home', async () => {
    await setSettings(app, { autoApprove: true });
    const { context, page } = await newPage(browser);
    const email = uniqueEmail('verify.auto');
    await register(page, app, { firstName: 'Ada', lastName: 'Lovelace', email });
    // Opening the page twice (a mail scanner, then the person) verifies nothing.
    await openLink(page, app, smtp, email);
    const mail = smtp.messagesTo(email).find((m) => /verify your email/i.test(m.subject));
    expect(mail).toBeTruthy();
    // (the page clears the token from the address bar, so open the emailed link again)
    expect(page.url()).not.toContain('token');
    await openLink(page, app, smtp, email);

    await page.getByRole('button', { name: 'Verify my email address' }).click();
    await page.waitForURL('**/home');
    await page.getByRole('heading', { name: 'Welcome, Ada' }).waitFor();
    const u = await userRow(app, email);
    expect(u.status).toBe('active');
    expect(u.email_verified_at).not.toBeNull();
    // The token is gone from the address bar.
    expect(page.url()).not.toContain('token');
    await context.close();
  });

  it('auto-approve off: the admin sees it under Unverified, then (live) in Pending once verified; the page shows the pending message', async () => {
    await setSettings(app, { autoApprove: false, autoApproveDomains: [] });
    const admin = await insertUser(app, { role: 'admin', firstName: 'Alice', lastName: 'Admin' });
    const sessionId = await loginAs(app, admin.email, admin.password!);
    const adminCtx: { context: BrowserContext; page: Page } = await newPage(browser);
    await adminCtx.context.addCookies([{ name: 'admit_session', value: sessionId, url: app.origin }]);

    const { context, page } = await newPage(browser);
    const email = uniqueEmail('verify.pending');
    await register(page, app, { firstName: 'Grace', lastName: 'Hopper', email });

    // The admin's Unverified tab: this one registration, not in the Pending queue.
    const a = adminCtx.page;
    await a.goto(app.origin + '/admin/users?status=unverified');
    const tab = a.getByRole('tab', { name: /Unverified/ });
    await tab.waitFor();
    expect(await tab.getAttribute('aria-selected')).toBe('true');
    const rows = a.getByTestId('user-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-status')).toBe('unverified');
    expect(await rows.first().textContent()).toContain('Grace Hopper');
    await screenshot(a, 'unverified-tab');
    await expectNoAxeViolationsAtWidths(a, 'users list: unverified tab');

    await a.getByRole('tab', { name: /Pending/ }).click();
    await a.waitForURL('**/admin/users?status=pending');
    await a.getByText('Grace Hopper').waitFor({ state: 'detached' });
    expect(await a.getByText('Grace Hopper').count()).toBe(0);

    await openLink(page, app, smtp, email);
    await page.getByRole('button', { name: 'Verify my email address' }).click();
    await page.getByTestId('verify-pending').waitFor();
    await page.getByText('An administrator will now review your registration').waitFor();
    expect(page.url()).not.toContain('/home');
    expect(await userRow(app, email)).toMatchObject({ status: 'pending' });

    // The admin's Pending tab shows the registration without a reload (user.email_verified, live).
    const row = a.getByTestId('user-row').filter({ hasText: 'Grace Hopper' });
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('pending');
    await adminCtx.context.close();
    await context.close();
  });
});
