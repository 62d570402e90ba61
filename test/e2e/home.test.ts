import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { sql, startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { adminSession, insertUser } from '../support/users.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';

describe('developer home in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await (browser as Browser | undefined)?.close();
    await (app as TestApp | undefined)?.stop();
  });

  it('shows the account with its organisation, the terms accepted and the sessions; the developer changes their own name', async () => {
    const admin = await adminSession(app);
    const terms = await admin.caller.admin.settings.terms.publish({ title: 'Terms of Use', body: 'Be nice.' });
    const dev = await insertUser(app, { firstName: 'Ada', lastName: 'Lovelace' });
    await sql(app, `update organisation set name = 'Analytical Engines' where is_default`);

    const { page, context } = await newPage(browser);
    contexts.push(context);
    await page.goto(app.origin + '/login');
    await page.getByLabel('Email').fill(dev.email);
    await page.getByLabel('Password').fill(dev.password!);
    await page.getByRole('button', { name: 'Log in' }).click();
    // Terms published after this account was made: accepted once, then home.
    await page.waitForURL(/\/(home|accept-terms)/);
    if (page.url().includes('accept-terms')) {
      await page.getByRole('checkbox').check();
      await page.getByRole('button', { name: /Accept/ }).click();
    } else {
      await app.caller({ sessionId: (await context.cookies()).find((c) => c.name === 'admit_session')!.value }).auth.terms.accept({ versionId: terms.id });
      await page.reload();
    }
    await page.waitForURL('**/home');
    const card = page.getByTestId('account-card');
    await card.getByTestId('account-organisation').waitFor();
    expect(await card.getByTestId('account-organisation').textContent()).toBe('Analytical Engines');
    expect(await card.getByTestId('account-terms').textContent()).toContain(`You accepted version ${terms.id} (Terms of Use)`);
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    expect(await page.getByRole('list', { name: 'Sessions' }).getByText('This device').count()).toBe(1);
    await screenshot(page, 'developer-home');
    await expectNoAxeViolationsAtWidths(page, 'developer home', { schemes: ['light', 'dark'] });

    // Change name: a bad value is told when the field is left; a good one is saved and recorded.
    await card.getByRole('button', { name: 'Change name' }).click();
    const first = card.getByLabel('First name');
    await first.fill('<b>');
    await card.getByLabel('Last name').focus();
    await card.locator('.field-error').first().waitFor();
    await expectNoAxeViolationsAtWidths(page, 'developer home: change name');
    await first.fill('Augusta Ada');
    await card.getByLabel('Last name').fill('King');
    await card.getByRole('button', { name: 'Save name' }).click();
    await expect.poll(() => card.getByTestId('account-name').textContent()).toBe('Augusta Ada King');
    await page.getByRole('heading', { name: 'Welcome, Augusta Ada' }).waitFor();
    const [row] = await sql(app, `select first_name, last_name from app_user where id = ?`, [dev.id]);
    expect(row).toEqual({ first_name: 'Augusta Ada', last_name: 'King' });
    const [ev] = await sql(app, `select actor_id from domain_event where user_id = ? and type = 'user.updated' order by id desc limit 1`, [dev.id]);
    expect(ev.actor_id).toBe(dev.id);
  }, 90_000);
});
