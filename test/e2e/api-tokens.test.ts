import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { sql, startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';
import { adminSession } from '../support/users.js';
import { SESSION_COOKIE } from '../../shared/constants.js';
import { sessionIdOf } from '../../server/sessions/session-store.js';
import { authenticateApiRequest } from '../../server/api-tokens/api-tokens.service.js';

describe('Settings › API tokens in a browser', () => {
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

  it('an admin whose password check is old confirms it when asked, gets the token once, copies it, sees its last use and revokes it', async () => {
    const admin = await adminSession(app);
    const { page, context } = await newPage(browser);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.origin });
    await context.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);
    // The login was 20 minutes ago as far as the server knows: creating a token needs the password again.
    await sql(app, `update user_session set password_checked_at = now() - interval '20 minutes' where id = ?`, [sessionIdOf(admin.sessionId)]);

    await page.goto(app.origin + '/admin/settings');
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.waitForURL('**/admin/settings/api-tokens');
    await page.getByText('You have no API tokens yet.').waitFor();

    await page.getByRole('button', { name: 'New token' }).click();
    const form = page.getByRole('dialog', { name: 'New API token' });
    await form.getByRole('button', { name: 'Create token' }).click();
    await form.getByText('Name is required').waitFor();
    await form.getByText('Choose at least one scope').waitFor();
    await form.getByLabel('Name').fill('CRM sync');
    await form.getByLabel('users:read').check();
    await form.getByLabel('events:read').check();
    await form.getByLabel('Expires after').selectOption('30');
    await expectNoAxeViolationsAtWidths(page, 'New API token dialog');
    await form.getByRole('button', { name: 'Create token' }).click();

    // The server refused with REAUTH_REQUIRED; the client asks for the password and retries by itself.
    const reauth = page.getByRole('dialog', { name: 'Confirm your password' });
    await reauth.waitFor();
    await expectNoAxeViolationsAtWidths(page, 'Re-authentication dialog');
    await reauth.getByLabel('Password').fill('not my password');
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    await reauth.getByText('Incorrect password').waitFor();
    expect(await sql(app, `select id from api_token where user_id = ?`, [admin.id])).toHaveLength(0);
    await reauth.getByLabel('Password').fill(admin.password!);
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    await reauth.waitFor({ state: 'detached' });

    const created = page.getByTestId('new-token');
    await created.waitFor();
    const token = await page.getByTestId('new-token-value').inputValue();
    expect(token).toMatch(/^admit_pat_[A-Za-z0-9_-]{43}$/);
    await created.getByRole('button', { name: 'Copy' }).click();
    await created.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await screenshot(page, 'api-token-created');

    const auth = await authenticateApiRequest(app.services, `Bearer ${token}`, '203.0.113.9');
    expect(auth).toMatchObject({ ok: true, principal: { tokenName: 'CRM sync', userId: admin.id, scopes: ['users:read', 'events:read'] } });

    await created.getByRole('button', { name: 'Done' }).click();
    await created.waitFor({ state: 'detached' });
    await page.reload();
    const row = page.getByTestId('api-token-row').filter({ hasText: 'CRM sync' });
    await row.waitFor();
    expect(await row.getByTestId('api-token-scopes').innerText()).toMatch(/users:read\s*events:read/);
    await row.getByTestId('api-token-last-used').getByText('from 203.0.113.9').waitFor();
    // The page never shows the token again.
    expect(await page.content()).not.toContain(token);
    await screenshot(page, 'api-tokens');
    await expectNoAxeViolationsAtWidths(page, 'API tokens', { schemes: ['light', 'dark'] });

    await row.getByRole('button', { name: 'Revoke CRM sync' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke CRM sync?' });
    await confirm.getByRole('button', { name: 'Revoke token' }).click();
    await confirm.waitFor({ state: 'detached' });
    await row.getByText('Revoked').waitFor();
    expect(await authenticateApiRequest(app.services, `Bearer ${token}`, null)).toMatchObject({ ok: false, status: 401 });
  }, 120_000);
});
