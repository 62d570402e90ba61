import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sql, startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { insertUser, loginAs, uniqueEmail } from '../support/users.js';
import { setRequireEmailVerification } from '../support/verify.js';
import { expectNoAxeViolations, expectNoAxeViolationsAtWidths } from '../support/a11y.js';

/** A browser context logged in as a fresh admin on `path`, with the live connection up. */
async function adminAt(app: TestApp, browser: Browser, firstName: string, path: string): Promise<{ context: BrowserContext; page: Page; id: string }> {
  const admin = await insertUser(app, { role: 'admin', firstName, lastName: 'Admin' });
  const sessionId = await loginAs(app, admin.email, admin.password!);
  const { context, page } = await newPage(browser);
  await context.addCookies([{ name: 'admit_session', value: sessionId, url: app.origin }]);
  await page.goto(app.origin + path);
  await page.locator('[data-testid=live-indicator][data-state=live]').waitFor();
  return { context, page, id: admin.id };
}

/** What has focus: tag, test id, user id, text (trimmed). */
function focused(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return {
      tag: el?.tagName ?? '',
      testId: el?.dataset.testid ?? null,
      userId: el?.dataset.userId ?? null,
      text: (el?.textContent ?? '').replace(/\s+/g, ' ').trim(),
      filter: el?.dataset.filter ?? null,
    };
  });
}

/** Presses Tab until `done` holds for the focused element (at most `max` presses). */
async function tabUntil(page: Page, done: (f: Awaited<ReturnType<typeof focused>>) => boolean, max = 30) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (done(f)) return f;
  }
  throw new Error(`focus never got there in ${max} Tabs (last: ${JSON.stringify(await focused(page))})`);
}

/** Pending users named "<prefix> <n>", oldest first, `minutes` apart. */
async function pendingUsers(app: TestApp, prefix: string, n: number) {
  const users = [];
  for (let i = 0; i < n; i++) {
    const u = await insertUser(app, { firstName: prefix, lastName: `N${String(i + 1).padStart(2, '0')}`, status: 'pending' });
    await sql(app, `update app_user set created_at = now() - make_interval(mins => ?) where id = ?`, [100 - i, u.id]);
    users.push(u);
  }
  return users;
}

const statusOf = async (app: TestApp, id: string) => (await sql(app, `select status, rejection_reason from app_user where id = ?`, [id]))[0];

// Browser steps and axe at two widths and two colour schemes: more than the default 30 s on a shared machine.
describe('keyboard and live updates in the browser (issue 13 points 1 and 4)', { timeout: 120_000 }, () => {
  let app: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    app = await startTestApp();
    await setRequireEmailVerification(app, false);
    browser = await launchBrowser();
    await insertUser(app, { role: 'admin' }); // the portal is set up
  });
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (app as TestApp | undefined)?.stop();
  });

  it('the first Tab reaches a skip link; a tabbed text field and a button show a solid focus ring', async () => {
    const { context, page } = await newPage(browser);
    await page.goto(app.origin + '/login');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(await page.title()).toBe('Log in · Admit');

    await page.keyboard.press('Tab');
    expect((await focused(page)).text).toBe('Skip to main content');
    // Visible once focused: inside the viewport.
    const box = (await page.getByRole('link', { name: 'Skip to main content' }).boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    await page.keyboard.press('Enter');
    expect((await focused(page)).tag).toBe('H1');

    const email = await tabUntil(page, (f) => f.tag === 'INPUT');
    expect(email.tag).toBe('INPUT');
    // The accent (#4f46e5 = rgb(79, 70, 229)) at full opacity, 4px out: not the 5% shadow of an
    // unfocused field (waits out the 150 ms transition).
    await page.waitForFunction(() => getComputedStyle(document.activeElement!).boxShadow.includes('rgb(79, 70, 229) 0px 0px 0px 4px'));
    await screenshot(page, 'focus-ring-email');

    const button = await tabUntil(page, (f) => f.tag === 'BUTTON');
    expect(button.tag).toBe('BUTTON');
    await page.waitForFunction(() => getComputedStyle(document.activeElement!).boxShadow.includes('rgb(79, 70, 229) 0px 0px 0px 4px'));
    await context.close();
  });

  it('a route change moves focus to the page heading and names the tab; the status tabs are one Tab stop with arrow keys; each row is one Tab stop', async () => {
    await pendingUsers(app, 'Tabstop', 3);
    const ann = await adminAt(app, browser, 'Ann', '/admin/users');
    const { page } = ann;
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.waitForFunction(() => document.title === 'Users · Admit');

    // A route change: focus on the new heading, title follows.
    await page.getByRole('link', { name: 'Organisations' }).click();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === 'Organisations');
    expect(await page.title()).toBe('Organisations · Admit');
    await page.goBack();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === 'Users');

    // Tabs: exactly one is in the Tab order; arrows move and select, Home/End jump.
    expect(await page.locator('[role=tab][tabindex="0"]').count()).toBe(1);
    const onTab = await tabUntil(page, (f) => f.filter !== null);
    expect(onTab.filter).toBe('all');
    await page.keyboard.press('ArrowRight');
    await page.waitForURL('**status=pending**');
    expect((await focused(page)).filter).toBe('pending');
    expect(await page.locator('[role=tab][aria-selected=true]').getAttribute('data-filter')).toBe('pending');
    await page.keyboard.press('End');
    expect((await focused(page)).filter).toBe(await page.locator('[role=tab]').last().getAttribute('data-filter'));
    await page.keyboard.press('Home');
    expect((await focused(page)).filter).toBe('all');
    await page.waitForURL((u) => !u.search.includes('status='));
    // One Tab leaves the tab list for the search box.
    await page.keyboard.press('Tab');
    expect((await focused(page)).tag).toBe('INPUT');

    // Rows: Tab goes from row to row (the name link and the checkbox are not extra stops).
    await page.getByTestId('user-row').first().waitFor();
    const first = await tabUntil(page, (f) => f.tag === 'TR');
    await page.keyboard.press('Tab');
    const second = await focused(page);
    expect(second.tag).toBe('TR');
    expect(second.userId).not.toBe(first.userId);
    const ids = await page.getByTestId('user-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.userId));
    expect(ids.indexOf(second.userId!)).toBe(ids.indexOf(first.userId!) + 1);
    await expectNoAxeViolationsAtWidths(page, 'users list (keyboard)');
    await ann.context.close();
  });

  it('the mailbox tabs are ARIA tabs too: one Tab stop, arrows select', async () => {
    const ivy = await adminAt(app, browser, 'Ivy', '/admin/mailbox');
    const { page } = ivy;
    await page.getByRole('heading', { name: 'Mailbox' }).waitFor();
    expect(await page.locator('[role=tab][tabindex="0"]').allTextContents()).toEqual(['Emails']);
    await page.getByRole('tab', { name: 'Emails' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForURL('**tab=outbox**');
    expect((await focused(page)).text).toBe('Delivery queue');
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL((u) => !u.search.includes('tab='));
    await page.keyboard.press('End');
    await page.waitForURL('**tab=suppressed**');
    expect((await focused(page)).text).toBe('Suppressed addresses');
    await ivy.context.close();
  });

  it('the pending queue with only keys: two activated, one rejected with a reason, ? lists the keys; Undo reconsiders the rejection', async () => {
    const [u1, u2, u3] = await pendingUsers(app, 'Queue', 3);
    const bea = await adminAt(app, browser, 'Bea', '/admin/users?status=pending&q=Queue');
    const { page } = bea;
    await page.getByTestId('user-row').nth(2).waitFor();
    // Newest first: N03, N02, N01.
    const rowIds = await page.getByTestId('user-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.userId));
    expect(rowIds).toEqual([u3!.id, u2!.id, u1!.id]);

    // Keys do nothing while typing in the search box.
    await page.getByLabel('Search users').focus();
    await page.keyboard.press('a');
    expect(await page.getByLabel('Search users').inputValue()).toBe('Queuea');
    await page.keyboard.press('Backspace');

    const start = await tabUntil(page, (f) => f.tag === 'TR');
    expect(start.userId).toBe(u3!.id);

    // ? shows the keys.
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    expect(await help.getByTestId('keys-help').textContent()).toContain('Reject with a reason');
    // Focus starts on the text, not on the switch a stray Space would flip.
    expect((await focused(page)).tag).toBe('P');
    await expectNoAxeViolationsAtWidths(page, 'keyboard shortcuts dialog', { include: 'dialog', schemes: ['light', 'dark'] });
    await screenshot(page, 'keyboard-shortcuts-dialog');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    expect((await focused(page)).userId).toBe(u3!.id);

    // x selects, j moves, x selects: two selected; a activates both.
    await page.keyboard.press('x');
    await page.keyboard.press('j');
    expect((await focused(page)).userId).toBe(u2!.id);
    await page.keyboard.press('x');
    await page.getByTestId('bulk-bar').getByText('2 pending users selected').waitFor();
    await page.getByTestId('users-live').getByText('Selected Queue N02. 2 selected.').waitFor();
    await page.keyboard.press('a');
    await page.getByTestId('toast').filter({ hasText: 'Activated 2 users' }).waitFor();
    expect(await statusOf(app, u3!.id)).toMatchObject({ status: 'active' });
    expect(await statusOf(app, u2!.id)).toMatchObject({ status: 'active' });
    // The per-user result stays in the bulk bar.
    expect(await page.getByTestId('bulk-result').getByTestId('bulk-success').count()).toBe(2);

    // The decided rows left the pending list; focus went to the one that took their place.
    await page.waitForFunction((id) => (document.activeElement as HTMLElement | null)?.dataset.userId === id, u1!.id);
    // r opens the reject dialog; type a reason, submit with the keyboard.
    await page.keyboard.press('r');
    const reject = page.getByRole('dialog', { name: 'Reject Queue N01?' });
    await reject.waitFor();
    await page.keyboard.type('Please use your work address');
    await tabUntil(page, (f) => f.text === 'Reject registration', 4);
    await page.keyboard.press('Enter');
    await page.getByTestId('toast').filter({ hasText: 'Rejected Queue N01' }).waitFor();
    expect(await statusOf(app, u1!.id)).toEqual({ status: 'rejected', rejection_reason: 'Please use your work address' });
    await screenshot(page, 'keyboard-review-decided');

    // Undo on the rejection: Reconsider back to pending.
    await page.getByTestId('toast').filter({ hasText: 'Rejected Queue N01' }).getByRole('button', { name: 'Undo' }).click();
    await page.getByText('Undone: Queue N01 back in the pending queue').waitFor();
    expect(await statusOf(app, u1!.id)).toMatchObject({ status: 'pending' });
    // Undo on the activation: deactivated (the domain has no way back to pending from active).
    await page.getByTestId('toast').filter({ hasText: 'Activated 2 users' }).getByRole('button', { name: 'Undo' }).click();
    await page.getByText('Undone: deactivated 2 users').waitFor();
    expect((await statusOf(app, u2!.id)).status).toBe('inactive');
    expect((await statusOf(app, u3!.id)).status).toBe('inactive');

    // o opens the focused user's page.
    await page.getByTestId('bulk-result').getByRole('button', { name: 'Dismiss' }).click();
    await page.getByTestId('bulk-result').waitFor({ state: 'detached' });
    await page.locator(`tr[data-user-id="${u1!.id}"]`).waitFor();
    await page.locator(`tr[data-user-id="${u1!.id}"]`).focus();
    await page.keyboard.press('o');
    await page.waitForURL(`**/admin/users/${u1!.id}`);
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1' && /Queue N01/.test(document.activeElement.textContent));
    await bea.context.close();
  });

  it('single-key shortcuts can be turned off (stored for the admin); arrows still move', async () => {
    const [, , u3] = await pendingUsers(app, 'Quiet', 3);
    const cal = await adminAt(app, browser, 'Cal', '/admin/users?status=pending&q=Quiet');
    const { page } = cal;
    await page.getByTestId('user-row').nth(2).waitFor();
    await page.getByTestId('keys-button').click();
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    const toggle = help.getByRole('switch', { name: 'Single-key shortcuts' });
    await page.waitForFunction(() => !document.querySelector<HTMLInputElement>('dialog input[name=keyboardShortcuts]')?.disabled);
    expect(await toggle.isChecked()).toBe(true);
    await toggle.uncheck();
    await page.getByText('Keyboard shortcuts are off').waitFor();
    expect((await sql(app, `select keyboard_shortcuts from app_user where id = ?`, [cal.id]))[0].keyboard_shortcuts).toBe(false);
    await page.keyboard.press('Escape');

    // After a reload (the preference is the server's): j, x, a and ? do nothing; ArrowDown and Space work.
    await page.reload();
    await page.getByTestId('user-row').nth(2).waitFor();
    await page.locator(`tr[data-user-id="${u3!.id}"]`).focus();
    for (const key of ['j', 'x', 'a', '?']) await page.keyboard.press(key);
    expect((await focused(page)).userId).toBe(u3!.id);
    expect(await page.getByTestId('bulk-bar').count()).toBe(0);
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect((await statusOf(app, u3!.id)).status).toBe('pending');
    await page.keyboard.press('ArrowDown');
    expect((await focused(page)).userId).not.toBe(u3!.id);
    await page.keyboard.press(' ');
    await page.getByTestId('bulk-bar').getByText('1 pending user selected').waitFor();
    await cal.context.close();
  });

  it('three quick registrations: one toast counting them, outside the page; the table announces each new row politely', async () => {
    // A list taller than the window, so a toast floating over the page would sit on rows.
    for (let i = 0; i < 20; i++) await insertUser(app, { firstName: 'Filler', lastName: `F${i}` });
    const dee = await adminAt(app, browser, 'Dee', '/admin/users');
    const { page } = dee;
    await page.getByTestId('user-row').first().waitFor();
    const names = ['Ada', 'Grace', 'Hedy'];
    // One after the other, each on screen before the next (not one burst the live stream could batch).
    for (const [i, firstName] of names.entries()) {
      await app.caller({ ip: `203.0.113.${i + 10}` }).auth.signup({
        firstName,
        lastName: 'Burst',
        email: uniqueEmail(`burst.${firstName.toLowerCase()}`),
        password: 'a fine passphrase',
        confirmPassword: 'a fine passphrase',
      });
      await page.locator('[data-testid=user-row]', { hasText: `${firstName} Burst` }).waitFor();
      await page
        .getByTestId('toast')
        .filter({ hasText: i === 0 ? `New registration: ${firstName} Burst` : `${i + 1} new registrations` })
        .waitFor();
    }
    await page.getByTestId('toast').filter({ hasText: '3 new registrations' }).waitFor();
    expect(await page.locator('[data-testid=toast][data-group=registrations]').count()).toBe(1);
    // The polite live region read each arrival.
    const live = page.getByTestId('users-live');
    expect(await live.getAttribute('aria-live')).toBe('polite');
    for (const n of names) expect(await live.textContent()).toContain(`New registration: ${n} Burst`);

    // The toast covers none of the page's controls or rows.
    const overlaps = await page.evaluate(() => {
      const toasts = [...document.querySelectorAll('[data-testid=toast]')].map((t) => t.getBoundingClientRect());
      const controls = [...document.querySelectorAll('main button, main a, main input, main select, main tr')];
      const hit = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      return controls.filter((c) => toasts.some((t) => hit(t, c.getBoundingClientRect()))).map((c) => c.outerHTML.slice(0, 80));
    });
    expect(overlaps).toEqual([]);
    await screenshot(page, 'toasts-collapsed');
    await expectNoAxeViolationsAtWidths(page, 'users list: toasts', { schemes: ['light', 'dark'] });
    await dee.context.close();
  });

  it('a selected request another admin decides stays in the selection, saying who took it', async () => {
    const [u1, u2] = await pendingUsers(app, 'Taken', 2);
    const eve = await adminAt(app, browser, 'Eve', '/admin/users?status=pending&q=Taken');
    const { page } = eve;
    await page.getByTestId('user-row').nth(1).waitFor();
    await page.locator(`tr[data-user-id="${u1!.id}"]`).getByTestId('select-user').check();
    await page.locator(`tr[data-user-id="${u2!.id}"]`).getByTestId('select-user').check();
    await page.getByTestId('bulk-bar').getByText('2 pending users selected').waitFor();

    // Fay, another admin, activates one of them.
    const fay = await insertUser(app, { role: 'admin', firstName: 'Fay', lastName: 'Admin' });
    const faySession = await loginAs(app, fay.email, fay.password!);
    await app.caller({ sessionId: faySession }).admin.users.activate({ userId: u1!.id, expectedVersion: 1 });

    const taken = page.getByTestId('selection-taken');
    await taken.waitFor();
    expect(await taken.textContent()).toContain('Taken N01 was taken by Fay Admin: now active');
    await page.getByTestId('bulk-bar').getByText('1 pending user selected').waitFor();
    await screenshot(page, 'selection-taken');
    await expectNoAxeViolationsAtWidths(page, 'users list: selection taken', { schemes: ['light', 'dark'] });
    // Activate acts only on the one still pending.
    await page.getByRole('button', { name: 'Activate 1' }).click();
    await page.getByTestId('toast').filter({ hasText: 'Activated Taken N02' }).waitFor();
    expect((await statusOf(app, u2!.id)).status).toBe('active');
    // The taken entry stays until removed.
    await taken.waitFor();
    await taken.getByRole('button', { name: 'Remove from selection' }).click();
    await page.getByTestId('bulk-bar').waitFor({ state: 'detached' });
    await eve.context.close();
  });

  it("the user page's Activate and Reject say what they did and offer Undo (Deactivate, Reconsider)", async () => {
    const [act, rej] = await pendingUsers(app, 'Page', 2);
    const hal = await adminAt(app, browser, 'Hal', `/admin/users/${act!.id}`);
    const { page } = hal;
    await page.getByRole('button', { name: 'Activate developer' }).click();
    const activated = page.getByTestId('toast').filter({ hasText: 'Page N01 is now active' });
    await activated.getByRole('button', { name: 'Undo' }).click();
    await page.getByText('Undone: Page N01 is deactivated').waitFor();
    expect((await statusOf(app, act!.id)).status).toBe('inactive');

    await page.goto(`${app.origin}/admin/users/${rej!.id}`);
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reject registration' }).click();
    const rejected = page.getByTestId('toast').filter({ hasText: 'Rejected Page N02' });
    await rejected.getByRole('button', { name: 'Undo' }).click();
    await page.getByText('Undone: Page N02 is back in the pending queue').waitFor();
    expect((await statusOf(app, rej!.id)).status).toBe('pending');
    await hal.context.close();
  });

  it('a bulk decision on more than 10 asks first, and its per-user result stays in the bulk bar until dismissed', async () => {
    const many = await pendingUsers(app, 'Many', 11);
    const gus = await adminAt(app, browser, 'Gus', '/admin/users?status=pending&q=Many');
    const { page } = gus;
    await page.getByTestId('user-row').nth(10).waitFor();
    await page.getByTestId('select-all').check();
    await page.getByRole('button', { name: 'Activate 11' }).click();
    const confirm = page.getByRole('dialog', { name: 'Activate 11 users?' });
    await confirm.waitFor();
    // Nothing decided before the answer.
    expect(await sql(app, `select count(*)::int as n from app_user where first_name = 'Many' and status = 'pending'`)).toEqual([{ n: 11 }]);
    await expectNoAxeViolations(page, 'bulk confirm dialog', { include: 'dialog' });
    await confirm.getByRole('button', { name: 'Activate 11 users' }).click();
    await confirm.waitFor({ state: 'detached' });
    const result = page.getByTestId('bulk-result');
    await result.waitFor();
    expect(await result.getByTestId('bulk-success').count()).toBe(11);
    expect(await sql(app, `select count(*)::int as n from app_user where first_name = 'Many' and status = 'active'`)).toEqual([{ n: 11 }]);
    for (const u of many) expect(await result.locator(`[data-user-id="${u.id}"]`).textContent()).toContain('Activated');
    await screenshot(page, 'bulk-result');
    await expectNoAxeViolationsAtWidths(page, 'users list: bulk result', { schemes: ['light', 'dark'] });
    await result.getByRole('button', { name: 'Dismiss' }).click();
    await result.waitFor({ state: 'detached' });
    await gus.context.close();
  });
});
