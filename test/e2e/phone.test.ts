import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage } from '../support/browser.js';
import { adminSession, insertUser } from '../support/users.js';
import { expectNoAxeViolations } from '../support/a11y.js';
import { SESSION_COOKIE } from '../../shared/constants.js';

const PHONE = { width: 390, height: 844 };
const DOCS = join(process.cwd(), 'docs');

/** The page itself never scrolls sideways: nothing is wider than the screen. */
async function expectNoSidewaysScroll(page: Page, what: string) {
  const m = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(m.scrollWidth, `${what}: page is ${m.scrollWidth}px wide in a ${m.innerWidth}px window`).toBeLessThanOrEqual(m.innerWidth);
}

/** A screenshot for the docs (committed, unlike test/artifacts): the screen as a phone shows it. */
async function docsShot(page: Page, name: string) {
  mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: join(DOCS, `${name}.png`) });
}

describe('phones: every page at 390 × 844 without sideways scrolling', () => {
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
    await insertUser(app, { role: 'admin' }); // the portal is set up: /register shows the form
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await (browser as Browser | undefined)?.close();
    await (app as TestApp | undefined)?.stop();
  });

  it('the register page fits a phone', async () => {
    const { page, context } = await newPage(browser, PHONE);
    contexts.push(context);
    await page.goto(app.origin + '/register');
    await page.getByRole('heading', { name: 'Create an Account' }).waitFor();
    await expectNoSidewaysScroll(page, 'register');
    await expectNoAxeViolations(page, 'register');
    await docsShot(page, 'phone-register');
  });

  it('the admin menu folds into a Menu button, the users list is stacked cards with every row reachable, the user page and the Add-user dialog fit', async () => {
    const admin = await adminSession(app);
    // More users than the old 590 px box could show: the last one must be reachable by scrolling the page.
    const last = await insertUser(app, { firstName: 'Zoe', lastName: 'Lastrow', status: 'pending' });
    for (let i = 0; i < 14; i++) await insertUser(app, { firstName: `Dev${i}`, lastName: 'Phone', status: i % 3 ? 'active' : 'pending' });
    const { page, context } = await newPage(browser, PHONE);
    contexts.push(context);
    await context.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);

    await page.goto(app.origin + '/admin/users');
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByTestId('user-row').nth(10).waitFor();
    await expectNoSidewaysScroll(page, 'users list');

    // The navigation is behind Menu; "Log out" is on screen once it is open.
    const toggle = page.getByTestId('menu-toggle');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await page.getByRole('link', { name: 'Log out' }).isVisible()).toBe(false);
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const logout = await page.getByRole('link', { name: 'Log out' }).boundingBox();
    expect(logout).not.toBeNull();
    expect(logout!.x + logout!.width).toBeLessThanOrEqual(PHONE.width);
    await expectNoSidewaysScroll(page, 'users list, menu open');
    await expectNoAxeViolations(page, 'admin menu (open)');
    await toggle.click();

    // Stacked cards: a row is a block, and no box scrolls the list inside the page.
    const layout = await page.evaluate(() => {
      const wrap = document.querySelector('.table-wrap')!;
      const row = document.querySelector('[data-testid=user-row]')!;
      return { rowDisplay: getComputedStyle(row).display, clipped: wrap.scrollHeight > wrap.clientHeight + 1 };
    });
    expect(layout.rowDisplay).not.toBe('table-row');
    expect(layout.clipped).toBe(false);
    const lastRow = page.locator(`[data-user-id="${last.id}"]`);
    await lastRow.scrollIntoViewIfNeeded();
    expect(await lastRow.isVisible()).toBe(true);
    await page.evaluate(() => window.scrollTo(0, 0));
    await expectNoAxeViolations(page, 'users list');
    await docsShot(page, 'phone-users');

    // The Add-user dialog: inside the screen, its buttons reachable.
    await page.getByRole('button', { name: 'Add new user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add new user' });
    await dialog.getByLabel('First name').waitFor();
    const box = await dialog.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height).toBeLessThanOrEqual(PHONE.height);
    const submit = dialog.getByRole('button', { name: /^Add user/ });
    await submit.scrollIntoViewIfNeeded();
    const sb = await submit.boundingBox();
    expect(sb!.x + sb!.width).toBeLessThanOrEqual(PHONE.width);
    expect(sb!.y + sb!.height).toBeLessThanOrEqual(PHONE.height);
    await expectNoSidewaysScroll(page, 'Add-user dialog');
    await expectNoAxeViolations(page, 'Add new user dialog');
    await dialog.locator('.dialog-body').evaluate((b) => (b.scrollTop = 0));
    await docsShot(page, 'phone-add-user');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    // The user page.
    await page.goto(app.origin + `/admin/users/${last.id}`);
    await page.getByRole('heading', { name: 'Zoe Lastrow' }).waitFor();
    await expectNoSidewaysScroll(page, 'user page');
    await expectNoAxeViolations(page, 'user page');
    await docsShot(page, 'phone-user');

    // The other admin pages at the same width.
    for (const path of ['/admin/organisations', '/admin/mailbox', '/admin/settings']) {
      await page.goto(app.origin + path);
      await page.locator('h1').first().waitFor();
      await expectNoSidewaysScroll(page, path);
    }

    // Back on a wide window the navigation is the sidebar again: no Menu button, the links in view.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(app.origin + '/admin/users');
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(await page.getByTestId('menu-toggle').isVisible()).toBe(false);
    expect(await page.getByRole('link', { name: 'Log out' }).isVisible()).toBe(true);
  }, 90_000);

  it('the portal pages fit a 360 px screen too', async () => {
    const { page, context } = await newPage(browser, { width: 360, height: 740 });
    contexts.push(context);
    for (const path of ['/login', '/register', '/forgot-password']) {
      await page.goto(app.origin + path);
      await page.locator('h1').first().waitFor();
      await expectNoSidewaysScroll(page, path);
    }
  });
});
