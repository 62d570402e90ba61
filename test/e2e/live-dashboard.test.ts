import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sql, startTestApp, type TestApp, E2E_SECURITY } from '../support/app.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';
import { insertUser, loginAs, uniqueEmail } from '../support/users.js';
import { setRequireEmailVerification } from '../support/verify.js';

const PASSWORD = 'my portal passphrase';

/** A browser context logged in as a fresh admin, on the users list, with the live connection up. */
async function adminOnUsers(
  app: TestApp,
  browser: Browser,
  firstName: string,
  path = '/admin/users',
): Promise<{ context: BrowserContext; page: Page; id: string; sessionId: string }> {
  const admin = await insertUser(app, { role: 'admin', firstName, lastName: 'Admin' });
  const sessionId = await loginAs(app, admin.email, admin.password!);
  const { context, page } = await newPage(browser);
  await context.addCookies([{ name: 'admit_session', value: sessionId, url: app.origin }]);
  await page.goto(app.origin + path);
  await page.locator('[data-testid=live-indicator][data-state=live]').waitFor();
  return { context, page, id: admin.id, sessionId };
}

const row = (page: Page, text: string) => page.getByTestId('user-row').filter({ hasText: text });

describe('live admin dashboard in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    app = await startTestApp({ security: E2E_SECURITY }); // bot protection on: the widget solves in Chromium
    await setRequireEmailVerification(app, false); // verification.test.ts covers the verified path in a browser
    browser = await launchBrowser();
    await insertUser(app, { role: 'admin' }); // the portal is set up
  });
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (app as TestApp | undefined)?.stop();
  });

  it('a developer registers: both admins see the new row at the top without reloading; one activates it and the other sees it active', async () => {
    await insertUser(app, { firstName: 'Older', lastName: 'Pending', status: 'pending' });
    const ann = await adminOnUsers(app, browser, 'Ann');
    const bob = await adminOnUsers(app, browser, 'Bob');
    const pendingBefore = Number((await sql(app, `select count(*)::int as n from app_user where status = 'pending'`))[0].n);

    // The arrival highlight lasts 2.6 s: record it when it happens (a loaded machine may take longer than that to look).
    for (const admin of [ann, bob])
      await admin.page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { highlighted: string[] }).highlighted = seen;
        new MutationObserver((records) => {
          for (const r of records) {
            const el = r.target as HTMLElement;
            if (el.classList.contains('row-highlight')) seen.push(el.querySelector('.cell-primary')?.textContent ?? '');
          }
        }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['class'] });
      });

    // A developer registers in a third browser context, through the real page.
    const dev = await newPage(browser);
    const email = uniqueEmail('live.browser');
    await dev.page.goto(app.origin + '/register');
    await dev.page.getByLabel('First name').fill('Katherine');
    await dev.page.getByLabel('Last name').fill('Johnson');
    await dev.page.getByLabel('Email').fill(email);
    await dev.page.locator('input[name=password]').fill(PASSWORD);
    await dev.page.getByLabel('Confirm password').fill(PASSWORD);
    await dev.page.getByRole('button', { name: 'Register to developer portal' }).click();
    await dev.page.getByRole('heading', { name: 'Registration submitted' }).waitFor();

    for (const admin of [ann, bob]) {
      const arrived = row(admin.page, 'Katherine Johnson');
      await arrived.waitFor();
      // At the top, highlighted, pending with its age, announced by a toast.
      expect(await admin.page.getByTestId('user-row').first().textContent()).toContain('Katherine Johnson');
      expect(await admin.page.evaluate(() => (window as unknown as { highlighted: string[] }).highlighted)).toContain('Katherine Johnson');
      expect(await arrived.getAttribute('data-status')).toBe('pending');
      expect(await arrived.getByTestId('pending-age').textContent()).toBe('Waiting < 1 min');
      await admin.page.getByText(`New registration: Katherine Johnson (${email}) is waiting for approval`).waitFor();
      if (admin === ann) await screenshot(ann.page, 'users-live-arrival');
      // The pending count in the navigation followed.
      await admin.page.locator('[data-testid=pending-count]', { hasText: new RegExp(`^${pendingBefore + 1}$`) }).waitFor();
    }
    // No reload happened: the page is the one opened before the registration.
    expect(await ann.page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);

    // Ann activates it from the user's page; Bob's list restyles the row at once.
    await row(ann.page, 'Katherine Johnson').getByRole('link', { name: 'Katherine Johnson' }).click();
    await ann.page.getByRole('button', { name: 'Activate developer' }).click();
    await ann.page.getByText('Katherine Johnson is now active').waitFor();
    const onBob = row(bob.page, 'Katherine Johnson');
    await bob.page.waitForFunction(
      (e) => document.querySelector(`tr[data-testid=user-row][data-status=active] a`)?.textContent.includes(e) ?? false,
      'Katherine Johnson',
    );
    expect(await onBob.getAttribute('data-status')).toBe('active');
    // Pending first: the decided row left the pending block at the top.
    expect(await bob.page.getByTestId('user-row').first().textContent()).toContain('Older Pending');
    await screenshot(bob.page, 'users-live-decided');
    await expectNoAxeViolationsAtWidths(bob.page, 'users list: decided elsewhere');
    await Promise.all([ann.context.close(), bob.context.close(), dev.context.close()]);
    // Three browser contexts, the sign-up's proof-of-work and axe at four widths: more than the default 30 s on two busy cores.
  }, 90_000);

  it('an open user page extends its timeline when another admin decides; the pending queue sorts by age and is decided in bulk', async () => {
    const waiting = [
      await insertUser(app, { firstName: 'Waited', lastName: 'Longest', status: 'pending' }),
      await insertUser(app, { firstName: 'Waited', lastName: 'Shortest', status: 'pending' }),
    ];
    await sql(app, `update app_user set created_at = now() - interval '5 hours' where id = ?`, [waiting[0]!.id]);
    await sql(app, `update app_user set created_at = now() - interval '2 hours' where id = ?`, [waiting[1]!.id]);

    // Cleo watches one user's page while Dan decides it.
    const cleo = await adminOnUsers(app, browser, 'Cleo', `/admin/users/${waiting[1]!.id}`);
    await cleo.page.getByRole('heading', { name: /Waited Shortest/ }).waitFor();
    const dan = await adminOnUsers(app, browser, 'Dan', '/admin/users?status=pending');
    await row(dan.page, 'Waited Longest').waitFor();
    expect(await row(dan.page, 'Waited Longest').getByTestId('pending-age').textContent()).toBe('Waiting 5 h');

    // Sort by age: waiting longest first.
    await dan.page.getByTestId('pending-sort').selectOption('oldest');
    await dan.page.waitForURL('**sort=oldest**');
    await dan.page.waitForFunction(() => {
      const names = [...document.querySelectorAll('tr[data-testid=user-row] .cell-primary')].map((a) => a.textContent);
      return names.indexOf('Waited Longest') !== -1 && names.indexOf('Waited Longest') < names.indexOf('Waited Shortest');
    });

    // Bulk: select both, activate in one step.
    await row(dan.page, 'Waited Longest').getByTestId('select-user').check();
    await row(dan.page, 'Waited Shortest').getByTestId('select-user').check();
    await dan.page.getByTestId('bulk-bar').getByText('2 pending users selected').waitFor();
    await screenshot(dan.page, 'users-bulk-selected');
    await expectNoAxeViolationsAtWidths(dan.page, 'users list: bulk bar');
    await dan.page.getByRole('button', { name: 'Activate 2' }).click();
    await dan.page.getByTestId('toast').filter({ hasText: 'Activated 2 users' }).waitFor();
    expect(await sql(app, `select status from app_user where id in (?, ?)`, [waiting[0]!.id, waiting[1]!.id])).toEqual([
      { status: 'active' },
      { status: 'active' },
    ]);
    // On the pending tab, decided users leave the list.
    await row(dan.page, 'Waited Longest').waitFor({ state: 'detached' });

    // Cleo's open page: the timeline shows Dan's decision, and she is told.
    await cleo.page.getByTestId('user-timeline').getByText('Registration approved by Dan Admin').waitFor();
    await cleo.page.getByTestId('user-changed-live').getByText('Dan Admin activated this user just now.').waitFor();
    await screenshot(cleo.page, 'user-live-timeline');
    await expectNoAxeViolationsAtWidths(cleo.page, 'user page: live timeline');
    await cleo.page.getByRole('button', { name: 'Show current state' }).click();
    await cleo.page.getByRole('button', { name: 'Deactivate' }).waitFor();
    expect(await cleo.page.getByTestId('user-changed-live').count()).toBe(0);
    await Promise.all([cleo.context.close(), dan.context.close()]);
  });

  it('the indicator shows reconnecting while the socket is down, and nothing is missed', async () => {
    const eve = await adminOnUsers(app, browser, 'Eve');
    // Cut the server side of every socket: the client backs off, reconnects and resumes.
    for (const c of app.wss.clients) c.terminate();
    await eve.page.locator('[data-testid=live-indicator][data-state=reconnecting]').waitFor();
    const missed = await insertUser(app, { firstName: 'While', lastName: 'Away', status: 'pending' });
    // A registration while the socket is down arrives through the server's replay (it is an event, not a fixture row).
    await app.services.em().transactional(async (tx) => {
      const { appendEvent } = await import('../../server/events/append.js');
      const { loadUserSnapshot } = await import('../../server/users/users.repository.js');
      await appendEvent(tx, 'user.registered', { user: (await loadUserSnapshot(tx, missed.id))!, autoApproved: false }, { actorId: null, userId: missed.id });
    });
    await eve.page.locator('[data-testid=live-indicator][data-state=live]').waitFor({ timeout: 20_000 });
    await row(eve.page, 'While Away').waitFor();
    await eve.context.close();
  });
});
