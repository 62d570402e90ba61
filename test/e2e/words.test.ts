import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { sql, sqlCount, startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage } from '../support/browser.js';
import { adminSession } from '../support/users.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';
import { SESSION_COOKIE } from '../../shared/constants.js';

describe('words (docs/glossary.md): what the invitation card and the users list say', () => {
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    // No SMTP_URL: emails go to the built-in mailbox.
    app = await startTestApp();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await (browser as Browser | undefined)?.close();
    await (app as TestApp | undefined)?.stop();
  });

  it('an invite the built-in mailbox took says so, is valid "in 7 days" right after sending, and the user is listed as invited, not registered', async () => {
    const admin = await adminSession(app);
    const [org] = await sql(app, `select id from organisation where is_default`);
    const email = `ines.${Date.now().toString(36)}@example.test`;
    const { user } = await admin.caller.admin.users.add({ firstName: 'Ines', lastName: 'Invited', email, organisationId: org.id, mode: 'invite' });
    await expect
      .poll(() => sqlCount(app, `select count(*) from mailbox_message where to_address = ? and template = 'invite'`, [email]), { timeout: 15_000 })
      .toBe(1);
    // The invite lifetime is 7 days unless changed.
    const [tok] = await sql(
      app,
      `select extract(epoch from expires_at - created_at) / 86400 as days from auth_token where user_id = ? and purpose = 'invite'`,
      [user.id],
    );
    expect(Math.round(Number(tok.days))).toBe(7);

    const { page, context } = await newPage(browser);
    contexts.push(context);
    await context.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);
    await page.goto(`${app.origin}/admin/users/${user.id}`);
    const timeline = page.getByTestId('invite-timeline');
    await timeline.locator('[data-step=delivered]').waitFor();
    expect(await timeline.locator('[data-step=delivered]').textContent()).toContain('Delivered to the built-in mailbox');
    expect(await timeline.textContent()).not.toContain('mail server');
    expect(await timeline.locator('[data-step=expires]').textContent()).toContain('in 7 days');
    // The account's date says what happened: invited, not registered.
    const details = page.getByRole('region', { name: 'Details' });
    expect(await details.textContent()).toContain('Invited');
    expect(await details.textContent()).not.toContain('Registered');
    await expectNoAxeViolationsAtWidths(page, 'user page: invited, mailbox delivery');

    await page.goto(`${app.origin}/admin/users?status=invited`);
    const row = page.locator(`[data-user-id="${user.id}"]`);
    await row.waitFor();
    expect(await row.locator('.cell-date').getAttribute('data-label')).toBe('Invited');
    expect(await page.locator('thead').textContent()).not.toContain('Registered');
  });
});
