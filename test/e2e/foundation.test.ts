import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';

describe('first run in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (app as TestApp | undefined)?.stop();
  });

  it('setup → logout → login', async () => {
    const { page, context } = await newPage(browser);
    await page.goto(app.origin + '/');
    await page.waitForURL('**/setup');
    await page.getByRole('heading', { name: 'Set up Admit' }).waitFor();

    // Inline validation before anything is sent.
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByText('First name is required').waitFor();

    await page.getByLabel('First name').fill('Grace');
    await page.getByLabel('Last name').fill('Hopper');
    await page.getByLabel('Email').fill('grace@example.test');
    await page.locator('input[name=password]').fill('compilers are fun');
    await page.getByLabel('Confirm password').fill('compilers are fun');
    await screenshot(page, 'setup-page');
    await expectNoAxeViolationsAtWidths(page, 'setup', { schemes: ['light', 'dark'] });
    await page.getByRole('button', { name: 'Create administrator' }).click();

    await page.waitForURL('**/admin/users');
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'admit_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');

    await page.getByRole('link', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    expect((await context.cookies()).find((c) => c.name === 'admit_session')).toBeUndefined();

    // The setup page is gone once an admin exists.
    await page.goto(app.origin + '/setup');
    await page.waitForURL('**/login');

    await page.getByLabel('Email').fill('grace@example.test');
    await page.getByLabel('Password').fill('wrong password!');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Incorrect email or password').waitFor();

    await page.getByLabel('Password').fill('compilers are fun');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL('**/admin/users');
    await page.getByRole('complementary').getByText('Grace Hopper').waitFor();
    await screenshot(page, 'admin-shell');
    await expectNoAxeViolationsAtWidths(page, 'users list (empty, first admin)');
    await context.close();
  });
});
