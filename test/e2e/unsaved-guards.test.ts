import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, launchBrowser, newPage } from '../support/browser.js';
import { adminSession, insertUser } from '../support/users.js';
import { expectNoAxeViolations } from '../support/a11y.js';
import { SESSION_COOKIE } from '../../shared/constants.js';

/**
 * The settings editors that were missing it (email templates, registration form, terms, webhook
 * endpoints) show "Unsaved changes" and ask before leaving with them — a link of the app (the
 * router) and the browser itself (beforeunload) — but not once saved nor when edited back. And on
 * a phone, toasts never hide the page's last row: the page makes room for them.
 */
describe('unsaved changes on the settings editors, and room for toasts on phones', () => {
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    app = await startTestApp({ env: { APP_SECRET_KEY: randomBytes(32).toString('base64'), WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await (browser as Browser | undefined)?.close();
    await (app as TestApp | undefined)?.stop();
  });

  const adminPage = async (path: string, size?: { width: number; height: number }) => {
    const admin = await adminSession(app);
    const { page, context } = await newPage(browser, size);
    contexts.push(context);
    await context.addCookies([{ name: SESSION_COOKIE, value: admin.sessionId, url: app.origin }]);
    await page.goto(app.origin + path);
    return page;
  };

  /** Clicking an app link asks; dismissing it keeps the page (same address). */
  const expectLinkAsks = async (page: Page, link: string) => {
    const path = new URL(page.url()).pathname + new URL(page.url()).search;
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    await page.getByRole('link', { name: link, exact: true }).click();
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toBe('confirm: You have unsaved changes. Leave this page without saving them?');
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(path);
  };

  /** Closing the tab (or reloading) asks too: the browser's own beforeunload question; dismissing it keeps the page. */
  const expectUnloadAsks = async (page: Page) => {
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.type());
      void d.dismiss();
    });
    await page.close({ runBeforeUnload: true });
    await expect.poll(() => asked).toEqual(['beforeunload']);
    expect(page.isClosed()).toBe(false);
  };

  /** No question for the browser either: the page's beforeunload handlers leave the event alone. */
  const unloadWouldAsk = (page: Page) =>
    page.evaluate(() => {
      const e = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(e);
      return e.defaultPrevented;
    });

  /** Leaving through a link goes straight there, with no question. */
  const expectLeavesWithoutAsking = async (page: Page, link: string, to: string) => {
    const asked: string[] = [];
    const onDialog = (d: { message: () => string; accept: () => Promise<void> }) => {
      asked.push(d.message());
      void d.accept();
    };
    page.on('dialog', onDialog);
    expect(await unloadWouldAsk(page)).toBe(false);
    await page.getByRole('link', { name: link, exact: true }).click();
    await page.waitForURL(`**${to}`);
    page.off('dialog', onDialog);
    expect(asked).toEqual([]);
  };

  const note = (within: Locator) => within.getByTestId('unsaved-changes');

  it('Settings › Emails: a template edit asks before leaving (a link, another email, the browser), not once saved or typed back', async () => {
    const page = await adminPage('/admin/settings/emails?template=welcome');
    const card = page.locator('section[aria-labelledby="templates-title"]');
    const subject = card.getByLabel('Subject');
    await subject.waitFor();
    const original = await subject.inputValue();
    expect(await note(card).count()).toBe(0);

    // Typed back to what it was: no change.
    await subject.fill(original + ' (draft)');
    await note(card).waitFor();
    await subject.fill(original);
    await note(card).waitFor({ state: 'detached' });
    expect(await unloadWouldAsk(page)).toBe(false);

    await subject.fill('Hello {{firstName}}');
    await note(card).waitFor();
    expect(await note(card).textContent()).toBe('Unsaved changes');
    await expectNoAxeViolations(page, 'settings: emails, template with unsaved changes');
    await expectLinkAsks(page, 'Organisations');
    expect(await subject.inputValue()).toBe('Hello {{firstName}}');

    // Choosing another email would drop the edit too: asked, and staying keeps the email and the list as they were.
    const choice = card.getByLabel('Email', { exact: true });
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await choice.selectOption('password-reset');
    await expect.poll(() => asked.length).toBe(1);
    expect(new URL(page.url()).searchParams.get('template')).toBe('welcome');
    expect(await choice.inputValue()).toBe('welcome');
    expect(await subject.inputValue()).toBe('Hello {{firstName}}');

    await expectUnloadAsks(page);
    expect(await unloadWouldAsk(page)).toBe(true);

    await card.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Welcome email saved').waitFor();
    await note(card).waitFor({ state: 'detached' });
    await expectNoAxeViolations(page, 'settings: emails, template saved');
    // Saved: choosing another email just shows it.
    await choice.selectOption('password-reset');
    await page.waitForURL('**/admin/settings/emails?template=password-reset');
    await expect.poll(() => subject.inputValue()).not.toBe('Hello {{firstName}}');
    expect(await choice.inputValue()).toBe('password-reset');
    expect(asked).toHaveLength(1);
    await expectLeavesWithoutAsking(page, 'Organisations', '/admin/organisations');
  }, 90_000);

  it('Settings › Registration form: an added field asks before leaving; removed again, or published, it does not', async () => {
    const page = await adminPage('/admin/settings/registration-form');
    const editor = page.getByTestId('registration-form-editor');
    await editor.waitFor();
    expect(await note(editor).count()).toBe(0);

    // Added and removed again: the same fields as the live version.
    await editor.getByRole('button', { name: 'Add field' }).click();
    await note(editor).waitFor();
    await editor.getByTestId('field-0').getByRole('button', { name: 'Remove' }).click();
    await note(editor).waitFor({ state: 'detached' });
    expect(await unloadWouldAsk(page)).toBe(false);

    await editor.getByRole('button', { name: 'Add field' }).click();
    const field = editor.getByTestId('field-0');
    await field.getByLabel('Label').fill('Company');
    await field.getByLabel('Key').fill('company');
    await note(editor).waitFor();
    await expectNoAxeViolations(page, 'settings: registration form with unsaved changes');
    await expectLinkAsks(page, 'Organisations');
    expect(await field.getByLabel('Label').inputValue()).toBe('Company');
    await expectUnloadAsks(page);

    await editor.getByRole('button', { name: 'Publish new version' }).click();
    await editor.getByTestId('form-version').filter({ hasText: 'Version 1 is live' }).waitFor();
    await note(editor).waitFor({ state: 'detached' });
    await expectLeavesWithoutAsking(page, 'Organisations', '/admin/organisations');
  }, 90_000);

  it('Settings › Terms: a draft asks before leaving; cleared again, or published, it does not', async () => {
    const page = await adminPage('/admin/settings/terms');
    const form = page.getByTestId('terms-publish');
    const text = form.getByLabel('Text');
    await text.waitFor();
    expect(await note(form).count()).toBe(0);

    await text.fill('Be kind to the API.');
    await note(form).waitFor();
    await text.fill('');
    await note(form).waitFor({ state: 'detached' });

    await text.fill('Be kind to the API.');
    // (Not "must accept at the next login": the admins of the later tests would have to accept first.)
    await form.getByLabel('Title').fill('Terms of API use');
    await note(form).waitFor();
    await expectNoAxeViolations(page, 'settings: terms with unsaved changes');
    await expectLinkAsks(page, 'Organisations');
    expect(await text.inputValue()).toBe('Be kind to the API.');
    await expectUnloadAsks(page);

    await form.getByRole('button', { name: 'Publish' }).click();
    await page.getByTestId('terms-versions').getByText('Terms of API use').waitFor();
    await note(form).waitFor({ state: 'detached' });
    await expectLeavesWithoutAsking(page, 'Organisations', '/admin/organisations');
  }, 90_000);

  it('Settings › Webhooks: the add dialog (leaving, and closing it) and the endpoint form ask before leaving; event types ticked off and on again are no change', async () => {
    const page = await adminPage('/admin/settings/webhooks');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add webhook endpoint' });
    const url = 'http://127.0.0.1:9/unsaved-guard';
    await dialog.getByLabel('Endpoint URL').fill(url);
    await note(dialog).waitFor();
    await expectNoAxeViolations(page, 'webhooks: add endpoint dialog with unsaved changes');
    // The dialog is modal (the links behind it are inert): the browser's question is the one left.
    await expectUnloadAsks(page);
    // Closing the dialog (Escape, Cancel) asks too; staying keeps what was typed.
    for (const close of [() => page.keyboard.press('Escape'), () => dialog.getByRole('button', { name: 'Cancel' }).click()]) {
      const asked: string[] = [];
      page.once('dialog', (d) => {
        asked.push(`${d.type()}: ${d.message()}`);
        void d.dismiss();
      });
      await close();
      await expect.poll(() => asked).toEqual(['confirm: You have unsaved changes. Close without saving them?']);
      await expect.poll(() => dialog.getByLabel('Endpoint URL').inputValue()).toBe(url);
    }
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = page.getByRole('dialog', { name: 'Signing secret' });
    await secret.getByRole('button', { name: 'Done' }).click();
    expect(await unloadWouldAsk(page)).toBe(false);

    // A blank Add dialog closes without a question; a filled one closes when the admin agrees, and opens blank again.
    const closeAsked: string[] = [];
    const onCloseDialog = (d: { message: () => string; accept: () => Promise<void> }) => {
      closeAsked.push(d.message());
      void d.accept();
    };
    page.on('dialog', onCloseDialog);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await dialog.getByLabel('Endpoint URL').waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(closeAsked).toEqual([]);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await dialog.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/discarded');
    await note(dialog).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(closeAsked).toEqual(['You have unsaved changes. Close without saving them?']);
    expect(await unloadWouldAsk(page)).toBe(false);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    expect(await dialog.getByLabel('Endpoint URL').inputValue()).toBe('');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    page.off('dialog', onCloseDialog);
    expect(closeAsked).toHaveLength(1);

    await page.getByRole('link', { name: url }).click();
    const form = page.getByRole('form', { name: 'Endpoint settings' });
    const invites = form.getByRole('checkbox', { name: /All invite events/ });
    await invites.waitFor();
    expect(await note(form).count()).toBe(0);

    // Ticked and unticked (and the other way round): the same event types, so nothing to save.
    await invites.check();
    await note(form).waitFor();
    await invites.uncheck();
    await note(form).waitFor({ state: 'detached' });
    const users = form.getByRole('checkbox', { name: /All user events/ });
    await users.uncheck();
    await note(form).waitFor();
    await users.check();
    await note(form).waitFor({ state: 'detached' });
    expect(await unloadWouldAsk(page)).toBe(false);

    await invites.check();
    await form.getByLabel('Description').fill('CRM sync');
    await note(form).waitFor();
    await expectNoAxeViolations(page, 'webhooks: endpoint with unsaved changes');
    await expectLinkAsks(page, 'Organisations');
    expect(await invites.isChecked()).toBe(true);
    expect(await form.getByLabel('Description').inputValue()).toBe('CRM sync');
    await expectUnloadAsks(page);

    await form.getByRole('button', { name: 'Save endpoint' }).click();
    await page.getByText('Endpoint saved').first().waitFor();
    await note(form).waitFor({ state: 'detached' });
    await expectLeavesWithoutAsking(page, 'Organisations', '/admin/organisations');
    await page.goto(app.origin + '/admin/settings/webhooks');
    await page.getByTestId('webhook-row').filter({ hasText: 'user.*, invite.*' }).waitFor();
  }, 90_000);

  it('on a phone (390 × 844) the page makes room for the toasts: the last row and its buttons scroll clear of them', async () => {
    const last = await insertUser(app, { firstName: 'Zoe', lastName: 'Bottomrow', status: 'pending' });
    for (let i = 0; i < 12; i++) await insertUser(app, { firstName: `Dev${i}`, lastName: 'Toast', status: 'active' });
    const page = await adminPage('/admin/users', { width: 390, height: 844 });
    const rows = page.getByTestId('user-row');
    await rows.first().waitFor();
    await page.locator('[data-testid=live-indicator][data-state=live]').waitFor({ timeout: 20_000 });

    // A registration arrives live: its toast floats over the bottom of the screen.
    await app.services.em().transactional(async (tx) => {
      const { appendEvent } = await import('../../server/events/append.js');
      const { loadUserSnapshot } = await import('../../server/users/users.repository.js');
      await appendEvent(tx, 'user.registered', { user: (await loadUserSnapshot(tx, last.id))!, autoApproved: false }, { actorId: null, userId: last.id });
    });
    const toast = page.getByTestId('toast').first();
    await toast.waitFor();
    // Pointer on the toast: it stays while the page is measured (toasts pause on hover).
    await toast.hover();

    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const m = await page.evaluate(() => {
      const rows = [...document.querySelectorAll<HTMLElement>('[data-testid=user-row]')];
      const lastRow = rows[rows.length - 1]!;
      const controls = [...lastRow.querySelectorAll<HTMLElement>('a[href], button, input')];
      const toasts = [...document.querySelectorAll<HTMLElement>('[data-testid=toast]')];
      const lowest = Math.max(lastRow.getBoundingClientRect().bottom, ...controls.map((c) => c.getBoundingClientRect().bottom));
      const toastTop = Math.min(...toasts.map((t) => t.getBoundingClientRect().top));
      // The page's lowest lines (whatever follows the list) too.
      const contentBottom = document.querySelector('.app-content')!.getBoundingClientRect().bottom;
      // Every control of the last row is what a tap at its centre reaches (not a toast over it).
      const reachable = controls.every((c) => {
        const r = c.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return !!hit && (hit === c || c.contains(hit));
      });
      return {
        lowest,
        toastTop,
        contentBottom,
        controls: controls.length,
        reachable,
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
      };
    });
    expect(m.controls).toBeGreaterThan(0);
    expect(m.lowest, `the last row ends at ${m.lowest}px, the toasts start at ${m.toastTop}px`).toBeLessThanOrEqual(m.toastTop);
    expect(m.contentBottom, `the page ends at ${m.contentBottom}px, the toasts start at ${m.toastTop}px`).toBeLessThanOrEqual(m.toastTop);
    expect(m.reachable).toBe(true);
    expect(m.scrollWidth).toBeLessThanOrEqual(m.innerWidth);
    await expectNoAxeViolations(page, 'users list with a toast (phone)');
    // The screen as the phone shows it, scrolled to the end with the toast up (test/artifacts, git-ignored).
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'phone-users-toast.png') });

    // Once the toasts are gone, so is the room made for them.
    await page.getByRole('button', { name: 'Dismiss notification' }).first().click();
    await expect.poll(() => page.evaluate(() => document.documentElement.style.getPropertyValue('--toast-space'))).toBe('');
  }, 90_000);
});
