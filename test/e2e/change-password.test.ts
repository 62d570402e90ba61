import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { sqlCount, startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';
import { insertUser, loginAs } from '../support/users.js';
import { sessionIdOf } from '../../server/sessions/session-store.js';

describe('must change password at next login, in a browser', () => {
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

  it('after logging in, the user reaches nothing but the change-password page until a new password is set', async () => {
    await insertUser(app, { role: 'admin' });
    const u = await insertUser(app, { mustChangePassword: true, password: 'given by admin' });
    const elsewhere = await loginAs(app, u.email, 'given by admin');
    const { page } = await newPage(browser);
    await page.goto(app.origin + '/login');
    await page.getByLabel('Email').fill(u.email);
    await page.getByLabel('Password').fill('given by admin');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL('**/change-password');
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();

    // Any other page sends the user back here.
    await page.goto(app.origin + '/home');
    await page.waitForURL('**/change-password');

    await page.getByLabel('Current password').fill('given by admin');
    await page.locator('input[name=newPassword]').fill('given by admin');
    await page.getByLabel('Confirm new password').fill('given by admin');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The new password must be different from the current one').first().waitFor();
    await page.locator('input[name=newPassword]').fill('my very own secret');
    await page.getByLabel('Confirm new password').fill('my very own secret');
    await screenshot(page, 'change-password');
    await expectNoAxeViolationsAtWidths(page, 'change password', { schemes: ['light', 'dark'] });
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Password changed' }).waitFor();
    await page.getByText('You were logged out on 1 other device or browser.').waitFor();
    await page.getByRole('link', { name: 'Continue' }).click();
    await page.waitForURL('**/home');
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();

    expect(await sqlCount(app, `select count(*) from user_session where id = ?`, [sessionIdOf(elsewhere)])).toBe(0);
    expect(await sqlCount(app, `select count(*) from app_user where id = ? and not must_change_password`, [u.id])).toBe(1);
    // Axe at two widths and both colour schemes on the way: more than the default 30 s on shared cores.
  }, 60_000);
});
