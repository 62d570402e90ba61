import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { sql, type TestApp } from '../support/app.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../support/smtp.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';
import { insertUser, loginAs, uniqueEmail } from '../support/users.js';
import { verificationLink } from '../support/verify.js';
import { writeSetting } from '../../server/settings/settings.repository.js';

const PASSWORD = 'my portal passphrase';

async function logIn(page: Page, app: TestApp, email: string) {
  await page.goto(app.origin + '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

describe('admin-defined sign-up fields and versioned terms in a browser (mail over real SMTP)', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  let browser: Browser;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp());
    browser = await launchBrowser();
    await writeSetting(app.services.em(), 'autoApprove', false);
    await writeSetting(app.services.em(), 'requireEmailVerification', true);
  });
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (stop as (() => Promise<void>) | undefined)?.();
  });

  it('admin defines two fields and publishes terms; a developer registers, verifies, waits in the queue with the answers; activated; re-accepts new terms at login', async () => {
    const admin = await insertUser(app, { role: 'admin', firstName: 'Alice', lastName: 'Admin' });
    const adminSessionId = await loginAs(app, admin.email, admin.password!);
    const { context: adminCtx, page: a } = await newPage(browser);
    await adminCtx.addCookies([{ name: 'admit_session', value: adminSessionId, url: app.origin }]);

    // Settings › Registration form: two fields.
    if (process.env.E2E_STEPS) console.log('step 1: Settings › Registration form: two fie');
    await a.goto(app.origin + '/admin/settings/registration-form');
    await a.getByTestId('registration-form-editor').waitFor();
    await a.getByRole('button', { name: 'Add field' }).click();
    const f0 = a.getByTestId('field-0');
    await f0.getByLabel('Label').fill('Company');
    await f0.getByLabel('Key').fill('company');
    await f0.getByLabel('Minimum length').fill('2');
    await f0.getByLabel('Required', { exact: true }).check();
    await f0.getByLabel('Show in the pending queue').check();
    await a.getByRole('button', { name: 'Add field' }).click();
    const f1 = a.getByTestId('field-1');
    await f1.getByLabel('Type').selectOption('select');
    await f1.getByLabel('Label').fill('Plan');
    await f1.getByLabel('Key').fill('plan');
    await f1.getByLabel('Options (one per line)').fill('Free\nPro');
    await f1.getByLabel('Show in the pending queue').check();
    await a.getByRole('button', { name: 'Publish new version' }).click();
    await a.getByText('Version 1 published').waitFor();
    expect((await sql(app, `select version, fields from registration_form`)).map((r) => r.fields.map((f: any) => f.key))).toEqual([['company', 'plan']]);

    // Settings › Terms: publish the first version.
    if (process.env.E2E_STEPS) console.log('step 2: Settings › Terms: publish the first v');
    await a.goto(app.origin + '/admin/settings/terms');
    await a.getByLabel('Title').fill('Terms of Use');
    await a.locator('textarea[name=body]').fill('Use the APIs fairly.\n\nDo not share your keys.');
    await a.getByRole('button', { name: 'Publish' }).click();
    await a.getByText('Version 1 of the Terms of Use published').waitFor();

    // A developer registers with answers; the page checks them first with the same schema.
    if (process.env.E2E_STEPS) console.log('step 3: A developer registers with answers; t');
    const email = uniqueEmail('fields');
    const { context, page } = await newPage(browser);
    await page.goto(app.origin + '/register');
    await page.getByRole('heading', { name: 'Create an Account' }).waitFor();
    await page.getByTestId('custom-fields').waitFor();
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByLabel('Email').fill(email);
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByLabel('Company').fill('A');
    await page.getByRole('button', { name: 'Register to developer portal' }).click();
    await page.getByText('Company must be at least 2 characters').waitFor();
    await page.getByText('Please accept the Terms of Use').waitFor();
    await page.getByLabel('Company').fill('Analytical Engines Ltd');
    await page.getByLabel('Plan').selectOption('Pro');
    await page.getByLabel('I accept the Terms of Use').check();
    await screenshot(page, 'registration-form-custom-fields');
    await expectNoAxeViolationsAtWidths(page, 'register: custom fields');
    await page.getByRole('button', { name: 'Register to developer portal' }).click();
    await page.getByTestId('register-unverified').waitFor();
    const [u] = await sql(app, `select id, status, registration_answers, registration_form_version from app_user where email = ?`, [email]);
    expect(u).toMatchObject({ status: 'unverified', registration_answers: { company: 'Analytical Engines Ltd', plan: 'Pro' }, registration_form_version: 1 });
    const [acc] = await sql(app, `select version_id, ip, user_agent from terms_acceptance where user_id = ?`, [u.id]);
    expect(acc.version_id).toBe(1);
    expect(acc.user_agent).toMatch(/Chrom/);

    // The admin watches the Pending queue; the developer verifies from the email the SMTP peer received.
    if (process.env.E2E_STEPS) console.log('step 4: The admin watches the Pending queue; ');
    await a.goto(app.origin + '/admin/users?status=pending');
    await a.getByRole('tab', { name: /Pending/ }).waitFor();
    const { url } = await verificationLink(app, email, { smtp, timeoutMs: 15_000 });
    await page.goto(url);
    await page.getByRole('button', { name: 'Verify my email address' }).click();
    await page.getByTestId('verify-pending').waitFor();

    // Live: the row arrives with its answers in the chosen columns.
    if (process.env.E2E_STEPS) console.log('step 5: Live: the row arrives with its answer');
    const row = a.getByTestId('user-row').filter({ hasText: 'Ada Lovelace' });
    await row.waitFor();
    await row.getByTestId('answer-company').filter({ hasText: 'Analytical Engines Ltd' }).waitFor();
    expect(await row.getByTestId('answer-plan').textContent()).toBe('Pro');
    expect(await a.getByTestId('answer-column').allTextContents()).toEqual(['Company', 'Plan']);
    await screenshot(a, 'pending-queue-with-answers');
    await expectNoAxeViolationsAtWidths(a, 'users list: pending queue with answers');

    // The user page shows the answers and the accepted terms; the admin activates.
    if (process.env.E2E_STEPS) console.log('step 6: The user page shows the answers and t');
    await row.getByRole('link', { name: 'Ada Lovelace' }).click();
    await a.getByTestId('user-answers').waitFor();
    expect(await a.getByTestId('user-answer-company').textContent()).toBe('Analytical Engines Ltd');
    await a.getByTestId('user-terms').getByText('Terms of Use').waitFor();
    await a.getByRole('button', { name: 'Activate developer' }).click();
    await a
      .getByRole('dialog')
      .getByRole('button', { name: /Activate/ })
      .click()
      .catch(() => undefined);
    await expect.poll(async () => (await sql(app, `select status from app_user where id = ?`, [u.id]))[0].status, { timeout: 10_000 }).toBe('active');

    // A new version that everyone must accept.
    if (process.env.E2E_STEPS) console.log('step 7: A new version that everyone must acce');
    await a.goto(app.origin + '/admin/settings/terms');
    await a.getByLabel('Title').fill('Terms of Use 2026');
    await a.locator('textarea[name=body]').fill('Use the APIs fairly.\n\nNew: rate limits apply.');
    await a.getByLabel('Every user must accept this version at their next login').check();
    await a.getByRole('button', { name: 'Publish' }).click();
    await a.getByText('Version 2 of the Terms of Use 2026 published').waitFor();
    await adminCtx.close();

    // The developer's next login: the terms come before anything else.
    if (process.env.E2E_STEPS) console.log('step 8: The developers next login: the terms');
    await logIn(page, app, email);
    await page.waitForURL('**/accept-terms**');
    await page.getByRole('heading', { name: 'Updated terms' }).waitFor();
    await page.getByTestId('terms-text').getByText('New: rate limits apply.').waitFor();
    await screenshot(page, 'terms-reaccept');
    await expectNoAxeViolationsAtWidths(page, 'accept terms');
    // The server refuses everything else meanwhile.
    if (process.env.E2E_STEPS) console.log('step 9: The server refuses everything else me');
    const blocked = await page.evaluate(async () => (await fetch('/trpc/auth.sessions.list')).status);
    expect(blocked).toBe(403);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('Please accept the Terms of Use 2026').waitFor();
    await page.getByLabel('I accept the Terms of Use 2026').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL('**/home');
    await page.getByRole('heading', { name: 'Welcome, Ada' }).waitFor();
    const rows = await sql(app, `select version_id from terms_acceptance where user_id = ? order by id`, [u.id]);
    expect(rows.map((r) => r.version_id)).toEqual([1, 2]);
    await context.close();
  }, 180_000);
});
