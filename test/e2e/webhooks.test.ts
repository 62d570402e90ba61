import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { sql, startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage } from '../support/browser.js';
import { insertUser } from '../support/users.js';
import { expectNoAxeViolations } from '../support/a11y.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

async function logIn(page: Page, app: TestApp, email: string, password: string) {
  await page.goto(app.origin + '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL('**/admin/**');
}

/** The README's screenshots (docs/), full page. */
async function docScreenshot(page: Page, name: string) {
  // No focus ring or hover left over from the last click.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.mouse.move(0, 0);
  // Tall enough for the whole page: a full-page capture of a taller page shifts the sticky sidebar and shows its skip link.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const viewport = page.viewportSize();
  if (viewport && height > viewport.height) await page.setViewportSize({ width: viewport.width, height });
  await page.screenshot({ path: join(process.cwd(), 'docs', `${name}.png`), fullPage: true });
}

describe('Settings › Webhooks in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  let rx: WebhookReceiver;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    rx = await startWebhookReceiver();
    app = await startTestApp({ env: { APP_SECRET_KEY: randomBytes(32).toString('base64'), WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_POLL_MS: '200' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await (browser as Browser | undefined)?.close();
    await (app as TestApp | undefined)?.stop();
    await (rx as WebhookReceiver | undefined)?.stop();
  });

  it('an admin adds an endpoint, activates a user in another tab, sees the delivery arrive live, and replays it with the same webhook-id', async () => {
    const admin = await insertUser(app, { role: 'admin', firstName: 'Grace', lastName: 'Admin' });
    const dev = await insertUser(app, { firstName: 'Katherine', lastName: 'Johnson', status: 'pending' });

    const tab = await newPage(browser, { width: 1400, height: 1000 });
    contexts.push(tab.context);
    const page = tab.page;
    await logIn(page, app, admin.email, admin.password!);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL('**/admin/settings/webhooks');
    await page.getByText('No endpoints yet').waitFor();

    // Add an endpoint: a refused URL first (inline message), then the receiver.
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add webhook endpoint' });
    await dialog.getByLabel('Endpoint URL').fill('ftp://example.com/hook');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await dialog.getByText('URL must start with https:// or http://').waitFor();
    await dialog.getByLabel('Endpoint URL').fill(rx.url('/crm'));
    await dialog.getByLabel('Description').fill('CRM contact sync');
    await expectNoAxeViolations(page, 'webhooks: add endpoint dialog');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();

    // The secret, shown once.
    const secretDialog = page.getByRole('dialog', { name: 'Signing secret' });
    await secretDialog.waitFor();
    const secret = await secretDialog.getByLabel('Secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await secretDialog.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('link', { name: rx.url('/crm') }).waitFor();
    await expectNoAxeViolations(page, 'webhooks: endpoint list');
    await docScreenshot(page, 'webhooks');

    // The endpoint's page, left open.
    await page.getByRole('link', { name: rx.url('/crm') }).click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    await page.getByText('No deliveries yet').waitFor();

    // Another tab activates the developer.
    const other = await newPage(browser);
    contexts.push(other.context);
    await logIn(other.page, app, admin.email, admin.password!);
    await other.page.goto(`${app.origin}/admin/users/${dev.id}`);
    await other.page.getByRole('button', { name: 'Activate developer' }).click();
    await other.page.getByText('Katherine Johnson is now active').waitFor();

    // The delivery appears on the open page without a reload, delivered.
    const row = page.getByTestId('delivery-row').filter({ hasText: 'user.activated' });
    await row.waitFor();
    await page.locator('[data-testid=delivery-row][data-status=succeeded]', { hasText: 'user.activated' }).waitFor();
    await row.getByText('HTTP 200').waitFor();
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
    const [first] = await rx.waitFor(1, '/crm');
    const payload = new Webhook(secret).verify(first!.body, first!.headers as Record<string, string>) as { type: string; data: { user: { id: string } } };
    expect(payload.type).toBe('user.activated');
    expect(payload.data.user.id).toBe(dev.id);

    // Replay it: a second row, same webhook-id, received again.
    await row.getByRole('button', { name: /^Replay delivery/ }).click();
    await page.getByTestId('delivery-row').nth(1).waitFor();
    await page.locator('[data-testid=delivery-row]', { hasText: 'replay of #' }).waitFor();
    const got = await rx.waitFor(2, '/crm');
    expect(got[1]!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    await page.locator('[data-testid=delivery-row][data-status=succeeded]', { hasText: 'replay of #' }).waitFor();
    const rows = await sql(app, `select message_id, replay_of from webhook_delivery order by id`);
    expect(rows).toHaveLength(2);
    expect(rows[1].message_id).toBe(rows[0].message_id);
    await expectNoAxeViolations(page, 'webhooks: endpoint and deliveries');
    await docScreenshot(page, 'webhook-deliveries');
  }, 90_000);
});
