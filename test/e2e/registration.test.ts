import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sql, startTestApp, type TestApp, E2E_SECURITY } from '../support/app.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';
import { insertUser, loginAs, uniqueEmail } from '../support/users.js';
import { writeSetting } from '../../server/settings/settings.repository.js';
import { setRequireEmailVerification } from '../support/verify.js';

const PASSWORD = 'my portal passphrase';

async function setSettings(app: TestApp, values: Record<string, unknown>) {
  await app.services.em().transactional(async (tx) => {
    for (const [k, v] of Object.entries(values)) await writeSetting(tx, k, v);
  });
}

/** A browser context already logged in as a fresh admin. */
async function adminPage(app: TestApp, browser: Browser, name = 'Alice'): Promise<{ context: BrowserContext; page: Page; id: string }> {
  const admin = await insertUser(app, { role: 'admin', firstName: name, lastName: 'Admin' });
  const sessionId = await loginAs(app, admin.email, admin.password!);
  const { context, page } = await newPage(browser);
  await context.addCookies([{ name: 'admit_session', value: sessionId, url: app.origin }]);
  return { context, page, id: admin.id };
}

async function fillRegistration(page: Page, u: { firstName: string; lastName: string; email: string }) {
  await page.getByLabel('First name').fill(u.firstName);
  await page.getByLabel('Last name').fill(u.lastName);
  await page.getByLabel('Email').fill(u.email);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
}

async function logIn(page: Page, app: TestApp, email: string) {
  await page.goto(app.origin + '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

describe('registration in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    app = await startTestApp({ security: E2E_SECURITY }); // bot protection on: the widget solves in Chromium
    browser = await launchBrowser();
    await setRequireEmailVerification(app, false); // verification.test.ts covers the verified path in a browser
    await insertUser(app, { role: 'admin' }); // the portal is set up
  });
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (app as TestApp | undefined)?.stop();
  });

  it('with auto-approve on (switched on in Settings > General): register, told the account is ready, log in at once', async () => {
    const admin = await adminPage(app, browser);
    await admin.page.goto(app.origin + '/admin/settings');
    await admin.page
      .getByRole('tab', { name: 'General' })
      .or(admin.page.getByRole('link', { name: 'General' }))
      .first()
      .waitFor();
    const toggle = admin.page.getByRole('switch', { name: 'Auto approve developer registration requests' });
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await admin.page.getByRole('button', { name: 'Save settings' }).click();
    await admin.page.getByText('Settings saved').waitFor();
    await screenshot(admin.page, 'settings-general');
    await expectNoAxeViolationsAtWidths(admin.page, 'settings: general', { schemes: ['light', 'dark'] });
    await admin.context.close();
    expect((await sql(app, `select value from setting where key = 'autoApprove'`))[0].value).toBe(true);

    const { context, page } = await newPage(browser);
    await page.goto(app.origin + '/login');
    await page.getByRole('link', { name: 'REGISTER' }).click();
    await page.waitForURL('**/register');
    await page.getByRole('heading', { name: 'Create an Account' }).waitFor();

    // Inline validation from the shared schema, before anything is sent.
    await page.getByRole('button', { name: 'Register to developer portal' }).click();
    await page.getByText('First name is required').waitFor();
    await page.getByText('Password must be at least 8 characters').waitFor();
    await page.getByLabel('Email').fill('not an email');
    await page.getByText('Enter a valid email address').waitFor();

    const email = uniqueEmail('browser.active');
    await fillRegistration(page, { firstName: 'Ada', lastName: 'Lovelace', email });
    await page.getByLabel('Confirm password').fill('something else');
    await page.getByText('Passwords do not match').waitFor();
    await page.getByLabel('Confirm password').fill(PASSWORD);
    expect(await page.getByText('Passwords do not match').count()).toBe(0);
    await screenshot(page, 'register-form');
    await expectNoAxeViolationsAtWidths(page, 'register', { schemes: ['light', 'dark'] });
    await page.getByRole('button', { name: 'Register to developer portal' }).click();
    await page.getByRole('heading', { name: 'Your account is ready' }).waitFor();
    await page.getByText(`You can log in now with ${email}`).waitFor();
    await screenshot(page, 'register-active');
    await expectNoAxeViolationsAtWidths(page, 'register: account ready');

    await page.getByRole('link', { name: 'Log in' }).click();
    await page.waitForURL('**/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL('**/home');
    await page.getByRole('heading', { name: 'Welcome, Ada' }).waitFor();
    await context.close();
    // Axe at two widths on the way: more than the default 30 s on shared cores.
  }, 90_000);

  it('with auto-approve off: register, told to wait, refused at login; an admin activates in the admin UI; the user logs in', async () => {
    await setSettings(app, { autoApprove: false, autoApproveDomains: [] });
    const { context, page } = await newPage(browser);
    await page.goto(app.origin + '/register');
    const email = uniqueEmail('browser.pending');
    await fillRegistration(page, { firstName: 'Grace', lastName: 'Hopper', email });
    await page.getByRole('button', { name: 'Register to developer portal' }).click();
    await page.getByRole('heading', { name: 'Registration submitted' }).waitFor();
    await page.getByText('must be approved by an administrator').waitFor();
    await page.getByText(`We will send an email to ${email}`).waitFor();
    await screenshot(page, 'register-pending');
    await expectNoAxeViolationsAtWidths(page, 'register: registration submitted');

    await logIn(page, app, email);
    await page.getByText('Your registration is awaiting approval by an administrator').waitFor();
    expect(page.url()).toContain('/login');

    // The admin finds the registration at the top of API Consumers > Users and activates it.
    const admin = await adminPage(app, browser, 'Alan');
    await insertUser(app, { firstName: 'Active', lastName: 'Developer' });
    await insertUser(app, { firstName: 'Former', lastName: 'Developer', status: 'inactive' });
    await admin.page.goto(app.origin + '/admin/users');
    const first = admin.page.getByTestId('user-row').first();
    await first.waitFor();
    expect(await first.getAttribute('data-status')).toBe('pending');
    expect(await first.textContent()).toContain('Grace Hopper');
    await screenshot(admin.page, 'users-list');
    await expectNoAxeViolationsAtWidths(admin.page, 'users list', { schemes: ['light', 'dark'] });

    await admin.page.getByRole('link', { name: 'Grace Hopper' }).click();
    await admin.page.waitForURL('**/admin/users/*');
    await admin.page.getByRole('heading', { name: /Grace Hopper/ }).waitFor();
    const registered = admin.page.locator('[data-event-type="user.registered"]');
    await registered.getByText("Registered; pending an administrator's decision").waitFor();
    // Who approves is not the user: no "awaiting approval by the user" (issue 13).
    expect(await registered.textContent()).not.toContain('by the user');
    expect(await admin.page.getByRole('button', { name: 'Deactivate' }).count()).toBe(0);
    await admin.page.getByRole('button', { name: 'Activate developer' }).click();
    await admin.page.getByText('Grace Hopper is now active').waitFor();
    await admin.page.getByText('Registration approved by Alan Admin').waitFor();
    await admin.page.getByRole('button', { name: 'Deactivate' }).waitFor();
    expect(await admin.page.getByRole('button', { name: 'Activate developer' }).count()).toBe(0);
    await screenshot(admin.page, 'user-detail-timeline');
    await expectNoAxeViolationsAtWidths(admin.page, 'user page: timeline', { schemes: ['light', 'dark'] });
    await admin.context.close();

    await logIn(page, app, email);
    await page.waitForURL('**/home');
    await page.getByRole('heading', { name: 'Welcome, Grace' }).waitFor();
    await context.close();
    // Axe at two widths on the way: more than the default 30 s on shared cores.
  }, 90_000);

  it('with sign-up disabled, the login page has no REGISTER link and /register shows a notice instead of the form', async () => {
    await setSettings(app, { signupEnabled: false });
    try {
      const { context, page } = await newPage(browser);
      await page.goto(app.origin + '/login');
      await page.getByRole('button', { name: 'Log in' }).waitFor();
      expect(await page.getByRole('link', { name: 'REGISTER' }).count()).toBe(0);
      await page.goto(app.origin + '/register');
      await page.getByRole('heading', { name: 'Registration is closed' }).waitFor();
      expect(await page.getByLabel('First name').count()).toBe(0);
      await screenshot(page, 'register-closed');
      await expectNoAxeViolationsAtWidths(page, 'register: closed');
      await context.close();
    } finally {
      await setSettings(app, { signupEnabled: true });
    }
    // Axe at two widths on the way: more than the default 30 s on shared cores.
  }, 90_000);

  it('a name with markup is refused inline, by the shared schema', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(app.origin + '/register');
    await fillRegistration(page, { firstName: '<script>x</script>', lastName: 'Smith', email: uniqueEmail('markup') });
    await page.getByRole('button', { name: 'Register to developer portal' }).click();
    await page.getByText('First name cannot contain < or >').waitFor();
    await context.close();
  });

  it('two admins on one user: the one who acts second sees that the user changed and its current state', async () => {
    const pending = await insertUser(app, { status: 'pending', firstName: 'Racy', lastName: 'Registrant' });
    const a = await adminPage(app, browser, 'Ann');
    const b = await adminPage(app, browser, 'Bob');
    await a.page.goto(`${app.origin}/admin/users/${pending.id}`);
    await b.page.goto(`${app.origin}/admin/users/${pending.id}`);
    await a.page.getByRole('button', { name: 'Activate developer' }).waitFor();
    await b.page.getByRole('button', { name: 'Reject' }).waitFor();

    await a.page.getByRole('button', { name: 'Activate developer' }).click();
    await a.page.getByText('Racy Registrant is now active').waitFor();

    await b.page.getByRole('button', { name: 'Reject' }).click();
    await b.page.getByLabel('Reason (optional)').fill('Not a partner');
    await b.page.getByRole('button', { name: 'Reject registration' }).click();
    const conflict = b.page.getByTestId('user-conflict');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('changed by someone else');
    expect(await conflict.textContent()).toContain('Active');
    // The page now shows the current state and the actions that fit it.
    await b.page.getByRole('button', { name: 'Deactivate' }).waitFor();
    expect(await b.page.getByRole('button', { name: 'Reject' }).count()).toBe(0);
    await screenshot(b.page, 'user-detail-conflict');
    await expectNoAxeViolationsAtWidths(b.page, 'user page: decided by another admin');
    expect((await sql(app, `select status from app_user where id = ?`, [pending.id]))[0].status).toBe('active');
    await a.context.close();
    await b.context.close();
    // Axe at two widths on the way: more than the default 30 s on shared cores.
  }, 90_000);

  it('searching and filtering the users list, and deleting a user with confirmation', async () => {
    const target = await insertUser(app, { firstName: 'Zed', lastName: 'Searchable', status: 'rejected' });
    const admin = await adminPage(app, browser, 'Dora');
    await admin.page.goto(app.origin + '/admin/users');
    await admin.page.getByTestId('user-row').first().waitFor();
    await admin.page.getByPlaceholder('Search by name or email').fill('zed searchable');
    await admin.page.waitForFunction(() => document.querySelectorAll('[data-testid=user-row]').length === 1);
    await admin.page.getByRole('tab', { name: /Active/ }).click();
    await admin.page.getByText('No users match your search').waitFor();
    await admin.page.getByRole('tab', { name: /Rejected/ }).click();
    await admin.page.getByRole('link', { name: 'Zed Searchable' }).click();
    await admin.page.getByRole('button', { name: 'Delete' }).click();
    await admin.page.getByRole('dialog').getByText('This cannot be undone').waitFor();
    await expectNoAxeViolationsAtWidths(admin.page, 'Delete user dialog');
    await admin.page.getByRole('button', { name: 'Delete user' }).click();
    await admin.page.waitForURL(/\/admin\/users(\?.*)?$/);
    await admin.page.getByText('Deleted Zed Searchable').waitFor();
    expect(await sql(app, `select id from app_user where id = ?`, [target.id])).toEqual([]);
    await admin.context.close();
  });
});
