import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { startApp, DEFAULT_CLIENT_DIR, type RunningApp } from '../../server/app.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { launchBrowser, newPage, screenshot } from '../support/browser.js';
import { expectNoAxeViolationsAtWidths } from '../support/a11y.js';

describe('a deploy while a tab is open (a lazy chunk is gone)', () => {
  // A copy of the build, so the test can delete a chunk as a deploy would.
  const clientDir = mkdtempSync(join(tmpdir(), 'admit-client-'));
  let db: TestDatabase;
  let app: RunningApp;
  let browser: Browser;
  beforeAll(async () => {
    cpSync(DEFAULT_CLIENT_DIR, clientDir, { recursive: true });
    db = await createTestDatabase();
    const config = parseConfig({
      PORT: '0',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
      MAIL_WORKER: 'false',
      ADMIN_EMAIL: 'admin@deploy.test',
      ADMIN_PASSWORD: 'a long admin password',
    });
    app = await startApp({ config, databaseUrl: db.url, clientDir, log: createLogger(config.logLevel) });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    await (app as RunningApp | undefined)?.close();
    await (db as TestDatabase | undefined)?.drop();
    rmSync(clientDir, { recursive: true, force: true });
  });

  it('reloads once, then shows a friendly page with a retry (never a blank screen), and the retry works once the file is back', async () => {
    const { context, page } = await newPage(browser);
    try {
      let documentLoads = 0;
      page.on('load', () => documentLoads++);
      await page.goto(app.url + '/login');
      await page.getByRole('link', { name: 'Forgot password?' }).waitFor();
      expect(documentLoads).toBe(1);

      // The deploy: the Forgot password page's chunk is gone.
      const assets = join(clientDir, 'assets');
      const chunk = readdirSync(assets).find((f) => f.startsWith('ForgotPasswordPage') && f.endsWith('.js'));
      expect(chunk, 'the build has a lazy chunk for the Forgot password page').toBeTruthy();
      renameSync(join(assets, chunk!), join(clientDir, chunk!));

      await page.getByRole('link', { name: 'Forgot password?' }).click();
      // One automatic reload, then the friendly page (the chunk is still missing).
      const errorPage = page.getByTestId('error-page');
      await errorPage.waitFor({ timeout: 15_000 });
      expect(documentLoads).toBe(2);
      expect(page.url()).toContain('/forgot-password');
      await expect.poll(() => page.getByRole('heading', { name: 'A new version is available' }).isVisible()).toBe(true);
      await screenshot(page, 'deploy-chunk-error-page');
      await expectNoAxeViolationsAtWidths(page, 'error page (new version deployed)');
      // It stays put: no reload loop.
      await page.waitForTimeout(1_500);
      expect(documentLoads).toBe(2);

      // The file is back (the new build is complete): "Try again" loads the page.
      renameSync(join(clientDir, chunk!), join(assets, chunk!));
      await page.getByRole('button', { name: 'Try again' }).click();
      await page.getByLabel('Email').waitFor();
      expect(await errorPage.count()).toBe(0);
      expect(documentLoads).toBe(3);
    } finally {
      await context.close();
    }
  });
});
