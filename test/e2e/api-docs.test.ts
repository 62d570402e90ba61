import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage } from '../support/browser.js';
import { apiCall } from '../support/api.js';

/** The REST API reference (/api/docs): Redoc's bundle served by Admit itself, rendering the live OpenAPI document. */
describe('/api/docs in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  // Set in beforeAll; possibly unset when it failed.
  let started: { app?: TestApp; browser?: Browser } = {};
  beforeAll(async () => {
    app = await startTestApp();
    started = { app };
    browser = await launchBrowser();
    started.browser = browser;
  });
  afterAll(async () => {
    await started.browser?.close();
    await started.app?.stop();
  });

  it('renders every operation of the document, loads nothing from another origin, and breaks no CSP rule', async () => {
    const doc = (await apiCall(app, 'GET', '/api/v1/openapi.json')).body;
    const { context, page } = await newPage(browser, { width: 1440, height: 900 });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(() => {
      (window as any).__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => (window as any).__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });

    const res = await page.goto(`${app.url}/api/docs`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByText('Admit REST API', { exact: false }).first().waitFor();

    const summaries: string[] = [];
    for (const item of Object.values<any>(doc.paths)) for (const op of Object.values<any>(item)) summaries.push(op.summary);
    expect(summaries.length).toBeGreaterThanOrEqual(21);
    // Redoc lists each operation in its side menu by summary.
    const menu = page.locator('.menu-content');
    for (const summary of summaries) await expect.poll(() => menu.getByText(summary, { exact: true }).count(), { message: summary }).toBeGreaterThan(0);
    // The scopes table from the document's description, and an operation's scope.
    await expect.poll(() => page.getByText('users:write').count()).toBeGreaterThan(0);

    // An operation in full: open Users › "Activate a user" from the menu: its scope, the If-Match header, the 412 answer.
    await menu.getByText('Users', { exact: true }).first().click();
    await menu.getByText('Activate a user', { exact: true }).first().click();
    await expect.poll(() => page.url()).toContain('operation/activateUser');
    const section = page.locator('[id="tag/Users/operation/activateUser"]');
    await section.getByText('If-Match', { exact: true }).first().waitFor();
    await section.getByText('Scope: users:write', { exact: false }).first().waitFor();
    await section.getByText('412', { exact: true }).first().waitFor();
    await page.waitForTimeout(300); // let Redoc finish scrolling to the section before the picture
    await page.screenshot({ path: join(process.cwd(), 'docs', 'api-docs.png') });

    const foreign = requests.filter((u) => !u.startsWith(app.url) && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(foreign).toEqual([]);
    expect(requests).toContain(`${app.url}/api/docs/redoc.standalone.js`);
    expect(requests).toContain(`${app.url}/api/v1/openapi.json`);
    expect(await page.evaluate(() => (window as any).__csp)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the bundle is served from node_modules with a JavaScript type, gzipped on request, revalidated by ETag', async () => {
    const res = await fetch(`${app.url}/api/docs/redoc.standalone.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const js = await res.text();
    expect(js.length).toBeGreaterThan(500_000);
    expect(js.includes('const Hw="2.5.4"'), 'redoc 2.5.4 as installed').toBe(true);
    // The one address on another origin in the bundle (Redocly's logo) is not served.
    expect(js.includes('cdn.redoc.ly')).toBe(false);
    const again = await fetch(`${app.url}/api/docs/redoc.standalone.js`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${app.url}/api/docs`, { method: 'POST' })).status).toBe(405);
  });
});
