import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { sql, sqlCount, startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';
import { adminSession, insertUser } from '../support/users.js';
import { SESSION_COOKIE } from '../../shared/constants.js';

describe('organisations page in a browser', () => {
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

  it('an admin creates, renames and deletes an organisation; busy ones cannot be deleted', async () => {
    const admin = await adminSession(app);
    const { page, context } = await newPage(browser);
    await context.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);
    await page.goto(app.origin + '/admin/users');
    await page.getByRole('link', { name: 'Organisations' }).click();
    await page.waitForURL('**/admin/organisations');
    await page.getByRole('heading', { name: 'Organisations' }).waitFor();

    await page.getByRole('button', { name: 'New organisation' }).click();
    const dialog = page.getByRole('dialog', { name: 'New organisation' });
    await dialog.getByRole('button', { name: 'Create organisation' }).click();
    await dialog.getByText('Name is required').waitFor();
    await expectNoAxeViolationsAtWidths(page, 'New organisation dialog');
    await dialog.getByLabel('Name').fill('Acme Robotics');
    await dialog.getByRole('button', { name: 'Create organisation' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'Acme Robotics', exact: true }).waitFor();

    // The same name in other letter case is refused inline.
    await page.getByRole('button', { name: 'New organisation' }).click();
    await dialog.getByLabel('Name').fill('ACME robotics');
    await dialog.getByRole('button', { name: 'Create organisation' }).click();
    await dialog.getByText('An organisation with this name already exists').first().waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Rename Acme Robotics' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename organisation' });
    await rename.getByLabel('Name').fill('Acme Rockets');
    await rename.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('cell', { name: 'Acme Rockets', exact: true }).waitFor();

    // Someone else renames it while this admin's dialog is open: saving does not undo their rename.
    await page.getByRole('button', { name: 'Rename Acme Rockets' }).click();
    await rename.getByLabel('Name').fill('Acme Aerospace');
    const [seen] = await sql(app, `select id, version from organisation where name = 'Acme Rockets'`);
    const other = await adminSession(app);
    await other.caller.admin.organisations.rename({ id: seen.id, name: 'Acme Rocketry', expectedVersion: seen.version });
    await rename.getByRole('button', { name: 'Save' }).click();
    await rename.getByText('Someone else renamed it to “Acme Rocketry” meanwhile. Save again to rename it to “Acme Aerospace”, or cancel.').waitFor();
    await page.getByRole('cell', { name: 'Acme Rocketry', exact: true }).waitFor();
    expect((await sql(app, `select name from organisation where id = ?`, [seen.id]))[0].name).toBe('Acme Rocketry');
    await expectNoAxeViolationsAtWidths(page, 'Rename organisation dialog, changed meanwhile');
    // Saving again, knowingly, renames what is now current.
    await rename.getByRole('button', { name: 'Save' }).click();
    await rename.waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'Acme Aerospace', exact: true }).waitFor();
    await other.caller.admin.organisations.rename({ id: seen.id, name: 'Acme Rockets' });
    await page.reload();
    await page.getByRole('cell', { name: 'Acme Rockets', exact: true }).waitFor();

    // The default one and one with users cannot be deleted.
    expect(await page.getByRole('button', { name: /^Delete Default organisation/ }).isDisabled()).toBe(true);
    const [org] = await sql(app, `select id from organisation where name = 'Acme Rockets'`);
    const u = await insertUser(app);
    await sql(app, `update app_user set organisation_id = ? where id = ?`, [org.id, u.id]);
    await page.reload();
    await page.getByRole('cell', { name: 'Acme Rockets', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete Acme Rockets' }).isDisabled()).toBe(true);
    await screenshot(page, 'organisations-page');
    await expectNoAxeViolationsAtWidths(page, 'organisations', { schemes: ['light', 'dark'] });

    await sql(app, `update app_user set organisation_id = (select id from organisation where is_default) where id = ?`, [u.id]);
    await page.reload();
    await page.getByRole('button', { name: 'Delete Acme Rockets' }).click();
    const del = page.getByRole('dialog', { name: 'Delete organisation' });
    await expectNoAxeViolationsAtWidths(page, 'Delete organisation dialog');
    await del.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('cell', { name: 'Acme Rockets', exact: true }).waitFor({ state: 'detached' });
    expect(await sqlCount(app, `select count(*) from organisation where id = ?`, [org.id])).toBe(0);
    // Axe at two widths and both colour schemes on the way: more than the default 30 s on shared cores.
  }, 90_000);
});
