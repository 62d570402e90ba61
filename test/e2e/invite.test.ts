import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { sql, sqlCount, type TestApp, E2E_SECURITY } from '../support/app.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';
import { startTestAppWithSmtp, type SmtpPeer } from '../support/smtp.js';
import { adminSession } from '../support/users.js';
import { SESSION_COOKIE } from '../../shared/constants.js';
import { writeSetting } from '../../server/settings/settings.repository.js';

describe('inviting a user, in a browser', () => {
  let app: TestApp;
  let smtp: SmtpPeer;
  let stop: () => Promise<void>;
  let browser: Browser;
  beforeAll(async () => {
    ({ app, smtp, stop } = await startTestAppWithSmtp({ security: E2E_SECURITY })); // bot protection on: the widget solves in Chromium
    // One test moves the clock 8 days past an invite's lifetime: the admin's session must outlive that jump.
    await writeSetting(app.services.em(), 'sessionIdleTimeoutMinutes', 30 * 24 * 60);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (stop as (() => Promise<void>) | undefined)?.();
  });

  it('admin adds a user without a password, sends the invite; the invitee follows the emailed link, sets a password and is logged in', async () => {
    const admin = await adminSession(app);
    const email = `margaret.${Date.now().toString(36)}@example.test`;

    // --- The admin adds the user (no password) ---
    const { page: adminPage, context: adminContext } = await newPage(browser);
    await adminContext.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);
    await adminPage.goto(app.origin + '/admin/users');
    await adminPage.getByRole('heading', { name: 'Users' }).waitFor();
    await adminPage.getByRole('button', { name: 'Add new user' }).click();
    const dialog = adminPage.getByRole('dialog', { name: 'Add new user' });
    await dialog.getByLabel('First name').fill('Margaret');
    await dialog.getByLabel('Last name').fill('Hamilton');
    await dialog.getByLabel('Email').fill(email);
    await dialog.getByLabel('Send an invite').check();
    // The password field is gone once "Send an invite" is chosen: the two exclude each other.
    expect(await dialog.locator('input[name=password]').count()).toBe(0);
    await dialog.getByLabel('Send the invite email now').uncheck();
    await screenshot(adminPage, 'add-user-dialog');
    await expectNoAxeViolationsAtWidths(adminPage, 'Add new user dialog', { schemes: ['light', 'dark'] });
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = adminPage.locator('tr[data-testid=user-row]', { hasText: email });
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('invited');
    const [user] = await sql(app, `select id from app_user where email = ?`, [email]);

    // --- ... and sends the invite from the user's page (More options) ---
    await row.getByRole('link', { name: 'Margaret Hamilton' }).click();
    await adminPage.waitForURL(`**/admin/users/${user.id}`);
    await adminPage.getByTestId('invite-panel').getByText('No invite sent yet').waitFor();
    await adminPage.getByRole('button', { name: /More Options/ }).click();
    await adminPage.getByRole('menuitem', { name: 'Send invite', exact: true }).click();
    await adminPage.getByText('Invite sent').first().waitFor();
    // Delivery is read from the outbox: the panel follows it to "delivered".
    await adminPage.locator('[data-testid=invite-timeline] [data-step=delivered]').waitFor();

    // --- The email, as received by the SMTP peer ---
    const mail = await smtp.waitForMessageTo(email);
    const link = mail.links.find((l) => l.includes('/invite#token='))!;
    expect(link).toBeTruthy();
    const { page: mailPage } = await newPage(browser, { width: 800, height: 900 });
    await mailPage.setContent(mail.html, { waitUntil: 'load' });
    expect(await mailPage.locator(`a[href="${link}"]`).count()).toBeGreaterThan(0);
    await screenshot(mailPage, 'invite-email');
    await expectNoAxeViolationsAtWidths(mailPage, 'mailbox: invite email');
    await mailPage.close();

    // Keep the users list open in a second admin tab, to see the change arrive.
    const listPage = await adminContext.newPage();
    await listPage.goto(app.origin + '/admin/users');
    await listPage.locator('tr[data-testid=user-row][data-status=invited]', { hasText: email }).waitFor();

    // --- The invitee opens the link: the registration form, prefilled and locked to the invited email ---
    const { page: invitee, context: inviteeContext } = await newPage(browser);
    await invitee.goto(link.replace(app.services.publicUrl(), app.origin));
    await invitee.getByRole('heading', { name: 'Create an Account' }).waitFor();
    const emailInput = invitee.locator('input[name=email]');
    expect(await emailInput.inputValue()).toBe(email);
    expect(await emailInput.getAttribute('readonly')).not.toBeNull();
    expect(await invitee.locator('input[name=firstName]').inputValue()).toBe('Margaret');
    await invitee.locator('input[name=firstName]').fill('Maggie');
    await invitee.locator('input[name=password]').fill('apollo eleven');
    await invitee.locator('input[name=confirmPassword]').fill('apollo eleven');
    await screenshot(invitee, 'invite-accept');
    await expectNoAxeViolationsAtWidths(invitee, 'accept invite');
    await invitee.getByRole('button', { name: 'Accept invitation' }).click();
    await invitee.waitForURL('**/home');
    await invitee.getByRole('heading', { name: 'Welcome, Maggie' }).waitFor();
    expect((await inviteeContext.cookies()).find((c) => c.name === SESSION_COOKIE)?.httpOnly).toBe(true);

    // The link works once: opening it again says so.
    const { page: again } = await newPage(browser);
    await again.goto(link.replace(app.services.publicUrl(), app.origin));
    await again.getByTestId('invite-link-error').waitFor();
    expect(await again.getByTestId('invite-link-error').getAttribute('data-reason')).toBe('TOKEN_USED');

    // --- The admin's list shows them active without a reload ---
    await listPage.locator('tr[data-testid=user-row][data-status=active]', { hasText: email }).waitFor({ timeout: 10_000 });

    // --- The user's page shows where the invite stands: sent, delivered, opened, accepted ---
    await adminPage.reload();
    const timeline = adminPage.getByTestId('invite-timeline');
    await timeline.locator('[data-step=accepted]').waitFor();
    for (const step of ['sent', 'delivered', 'opened', 'accepted']) expect(await timeline.locator(`[data-step=${step}]`).count(), step).toBe(1);
    expect(await adminPage.getByTestId('invite-panel').getByText('Sent by Test User').count()).toBe(1);
    await screenshot(adminPage, 'user-invite-state');
    await expectNoAxeViolationsAtWidths(adminPage, 'user page: invitation card');
    expect(await sqlCount(app, `select count(*) from app_user where id = ? and status = 'active'`, [user.id])).toBe(1);
  }, 120_000);

  it('resend voids the old link, revoke voids the new one, an expired link says to ask for a new one', async () => {
    const admin = await adminSession(app);
    const [org] = await sql(app, `select id from organisation where is_default`);
    const email = `grace.${Date.now().toString(36)}@example.test`;
    const { user } = await admin.caller.admin.users.add({
      firstName: 'Grace',
      lastName: 'Resent',
      email,
      organisationId: org.id,
      mode: 'invite',
      sendInvite: true,
    });
    const tokenOf = (m: { links: string[] }) => m.links.find((l) => l.includes('/invite#token='))!.replace(app.services.publicUrl(), app.origin);
    const firstLink = tokenOf(await smtp.waitForMessageTo(email));

    const { page, context } = await newPage(browser);
    await context.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);
    await page.goto(`${app.origin}/admin/users/${user.id}`);
    await page.getByTestId('invite-panel').getByText('Invite pending').waitFor();
    await page.getByRole('button', { name: /More Options/ }).click();
    expect(await page.getByRole('menuitem', { name: 'Send invite', exact: true }).count()).toBe(0);
    await page.getByRole('menuitem', { name: 'Resend invite' }).click();
    await page.getByRole('dialog', { name: 'Send a new invite?' }).getByRole('button', { name: 'Resend invite' }).click();
    await page.getByText('A new invite was sent').first().waitFor();
    const both = await smtp.waitForMessages(2, { match: (m) => m.envelopeTo.includes(email) });
    const secondLink = tokenOf(both[1]!);
    expect(secondLink).not.toBe(firstLink);

    const { page: invitee } = await newPage(browser);
    await invitee.goto(firstLink);
    await invitee.getByTestId('invite-link-error').waitFor();
    expect(await invitee.getByTestId('invite-link-error').getAttribute('data-reason')).toBe('TOKEN_REVOKED');

    await page.getByRole('button', { name: /More Options/ }).click();
    await page.getByRole('menuitem', { name: 'Revoke invite' }).click();
    await page.getByRole('dialog', { name: 'Revoke the invite?' }).getByRole('button', { name: 'Revoke invite' }).click();
    await page.getByTestId('invite-panel').getByText('Invite revoked').waitFor();
    await invitee.goto(secondLink);
    await invitee.getByRole('heading', { name: 'This invitation is no longer valid' }).waitFor();

    // A fresh invite, then the clock moves past its lifetime.
    await page.getByRole('button', { name: /More Options/ }).click();
    await page.getByRole('menuitem', { name: 'Send invite', exact: true }).click();
    await page.getByTestId('invite-panel').getByText('Invite pending').waitFor();
    const third = await smtp.waitForMessages(3, { match: (m) => m.envelopeTo.includes(email) });
    app.clock.advance(8 * 24 * 60 * 60_000);
    try {
      await invitee.goto(tokenOf(third[2]!));
      await invitee.getByRole('heading', { name: 'This invitation has expired' }).waitFor();
      await invitee.getByText('Ask the portal administrator to send you a new one.').waitFor();
      await screenshot(invitee, 'invite-expired');
      await expectNoAxeViolationsAtWidths(invitee, 'accept invite: expired link');
      await page.reload();
      await page.getByTestId('invite-panel').getByText('Invite expired').waitFor();
    } finally {
      app.clock.reset();
    }
  }, 120_000);

  it('an admin edits a user (name, organisation, role); demoting the last admin is refused with a clear message', async () => {
    // Only this test's admin stays active, so it is the last one.
    await sql(app, `update app_user set status = 'inactive' where role = 'admin'`);
    const admin = await adminSession(app);
    const org = await admin.caller.admin.organisations.create({ name: `Research ${Date.now().toString(36)}` });
    const [def] = await sql(app, `select id from organisation where is_default`);
    const { user } = await admin.caller.admin.users.add({
      firstName: 'Alan',
      lastName: 'Edited',
      email: `alan.${Date.now().toString(36)}@example.test`,
      organisationId: def.id,
      mode: 'password',
      password: 'initial password',
      mustChangePassword: false,
    });
    const { page, context } = await newPage(browser);
    await context.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);
    await page.goto(`${app.origin}/admin/users/${user.id}`);
    await page.getByRole('heading', { name: /Alan Edited/ }).waitFor();
    // An active user with a password: no invite actions are offered.
    await page.getByRole('button', { name: /More Options/ }).click();
    expect(await page.getByRole('menuitem').allTextContents()).toEqual(['Edit user']);
    await page.getByRole('menuitem', { name: 'Edit user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit user' });
    await dialog.getByLabel('First name').fill('Alan M.');
    await dialog.getByLabel('Organisation').selectOption({ label: org.name });
    await dialog.getByLabel('Role').selectOption('admin');
    await screenshot(page, 'edit-user-dialog');
    await expectNoAxeViolationsAtWidths(page, 'Edit user dialog');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: /Alan M\. Edited/ }).waitFor();
    await page.locator('.details').getByText(org.name).waitFor();
    const [row] = await sql(app, `select role, organisation_id from app_user where id = ?`, [user.id]);
    expect(row).toEqual({ role: 'admin', organisation_id: org.id });

    // Back to developer is fine (another admin remains); then the admin tries to demote themselves, the last one.
    await sql(app, `update app_user set role = 'developer', version = version + 1 where id = ?`, [user.id]);
    await page.goto(`${app.origin}/admin/users/${admin.id}`);
    await page.getByRole('button', { name: /More Options/ }).click();
    await page.getByRole('menuitem', { name: 'Edit user' }).click();
    await dialog.getByLabel('Role').selectOption('developer');
    await dialog.getByText('You are removing your own administrator role').waitFor();
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.getByText(/last active administrator/).waitFor();
    expect((await sql(app, `select role from app_user where id = ?`, [admin.id]))[0].role).toBe('admin');
  }, 120_000);
});
