import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { sql, startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage } from '../support/browser.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';
import { insertUser, loginAs } from '../support/users.js';
import { SESSION_COOKIE } from '../../shared/constants.js';

const DOCS = join(process.cwd(), 'docs');

describe('audit log in a browser', () => {
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

  it('an admin filters by actor name, opens a row’s user, exports the view as CSV, and forgets a deleted person', async () => {
    const a = await insertUser(app, { role: 'admin', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@analytical.test' });
    const adaSession = await loginAs(app, a.email, a.password!);
    const ada = app.caller({ sessionId: adaSession });
    const t = await insertUser(app, { role: 'admin', firstName: 'Alan', lastName: 'Turing', email: 'alan@bletchley.test' });
    const alan = app.caller({ sessionId: await loginAs(app, t.email, t.password!) });
    const grace = await insertUser(app, { status: 'pending', firstName: 'Grace', lastName: 'Hopper', email: 'grace@navy.test' });
    const linus = await insertUser(app, { status: 'pending', firstName: 'Linus', lastName: 'Torvalds', email: 'linus@kernel.test' });
    await ada.admin.organisations.create({ name: 'Compiler Guild' });
    await ada.admin.users.activate({ userId: grace.id, expectedVersion: 1 });
    await alan.admin.users.reject({ userId: linus.id, expectedVersion: 1, reason: 'Please use your work address' });
    await alan.admin.users.deactivate({ userId: grace.id, expectedVersion: 2 });
    await ada.admin.users.activate({ userId: grace.id, expectedVersion: 3 });
    const version = (await sql<{ version: number }>(app, `select version from app_user where id = ?`, [t.id]))[0]!.version;
    await ada.admin.users.delete({ userId: t.id, expectedVersion: version });

    const { page, context } = await newPage(browser);
    await context.addCookies([{ name: SESSION_COOKIE, value: adaSession, url: app.origin }]);
    await page.goto(app.origin + '/admin/users');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL('**/admin/audit-log');
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const rows = page.getByTestId('audit-row');
    await page.getByRole('cell', { name: 'Ada Lovelace deleted Alan Turing' }).waitFor();
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: join(DOCS, 'audit-log.png') });
    await expectNoAxeViolationsAtWidths(page, 'audit log', { schemes: ['light', 'dark'] });

    // Filter by the (deleted) actor's name, as typed.
    await page.getByLabel('Actor').fill('alan turing');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/actor=alan(\+|%20)turing/);
    await page.getByRole('cell', { name: 'Ada Lovelace activated Grace Hopper' }).waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'Alan Turing rejected Linus Torvalds (reason: Please use your work address)' }).waitFor();
    const sentences = await rows.locator('td:nth-child(2) > div:first-child').allTextContents();
    expect(sentences).toEqual(['Alan Turing deactivated Grace Hopper', 'Alan Turing rejected Linus Torvalds (reason: Please use your work address)']);
    await rows.first().getByText('deleted', { exact: true }).waitFor();

    // Export the filtered view: the browser downloads the CSV the server streams.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('audit-export-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/^audit-log-\d{8}-\d{4}\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(
      '"id","time","action","event","actor_name","actor_email","actor_id","target_name","target_email","target_id","organisation","api_token","data"',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('"Alan Turing deactivated Grace Hopper"');
    expect(lines[2]).toContain('"alan@bletchley.test"');

    // A row links to its user.
    await rows.filter({ hasText: 'rejected' }).getByRole('link', { name: 'Linus Torvalds' }).click();
    await page.waitForURL(`**/admin/users/${linus.id}`);
    await page.getByRole('heading', { name: /Linus Torvalds/ }).waitFor();

    // The deleted actor's page: history readable with the name; Forget from there.
    await page.goBack();
    await rows.first().getByRole('link', { name: 'Alan Turing' }).click();
    await page.waitForURL(`**/admin/users/${t.id}`);
    await page.getByRole('heading', { name: /Alan Turing/ }).waitFor();
    await page.getByText('This account was deleted; its history stays in the audit log.').waitFor();
    await page.getByTestId('user-timeline').getByText('Deleted').first().waitFor();
    await page.getByRole('button', { name: 'Forget this person…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Forget Alan Turing?' });
    const confirm = dialog.getByRole('button', { name: 'Forget permanently' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type FORGET to confirm').fill('FORGET');
    await expectNoAxeViolationsAtWidths(page, 'Forget dialog');
    await confirm.click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: /Forgotten person/ }).waitFor();
    const left = await sql(app, `select count(*)::int as n from domain_event where data::text ilike '%alan@bletchley%' or data::text ilike '%Turing%'`);
    expect(left[0].n).toBe(0);
  }, 120_000);
});
