import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Accessibility checks inside the browser tests: axe-core (the npm package, evaluated in the page)
 * runs against the page as it is now and the test fails on any violation, listed readably.
 *
 * Every check is recorded (label, viewport width, colour scheme, violations) to the file named by
 * ADMIT_AXE_LOG, which test/support/summary-reporter.ts sets for the run and prints as the axe
 * summary (pages × widths × violations) at the end.
 */

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

/** The WCAG 2.0, 2.1 and 2.2 level A and AA rules. No rule is switched off here. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export interface AxeRecord {
  label: string;
  width: number;
  scheme: 'light' | 'dark';
  violations: number;
  nodes: number;
  file: string;
}

interface AxeNode {
  target: unknown[];
  failureSummary?: string;
  html: string;
}
interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  helpUrl: string;
  nodes: AxeNode[];
}

export interface AxeOptions {
  /** CSS selectors left out of this check, each with the reason in the caller (e.g. third-party frames). */
  exclude?: string[];
  /** Check only this part of the page (e.g. a dialog) — the label should say so. */
  include?: string;
}

function record(r: AxeRecord) {
  const log = process.env.ADMIT_AXE_LOG;
  if (!log) return;
  try {
    appendFileSync(log, JSON.stringify(r) + '\n');
  } catch {
    // The summary is a report, not the check: a missing folder must not fail the test.
  }
}

/** Formats axe violations as a readable list: rule, impact, help, and each offending element. */
export function formatViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 8)
        .map((n) => `    - ${n.target.map(String).join(' ')}\n      ${n.html.slice(0, 200)}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`)
        .join('\n');
      const more = v.nodes.length > 8 ? `\n    … and ${v.nodes.length - 8} more` : '';
      return `  ${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n    ${v.helpUrl}\n${nodes}${more}`;
    })
    .join('\n');
}

/**
 * Runs axe-core in the page and fails with the list of violations if there are any.
 * `label` names the page or dialog (e.g. "users list", "Add user dialog"); width and colour scheme
 * are read from the page, so calling it at several sizes records each.
 */
export async function expectNoAxeViolations(page: Page, label: string, opts: AxeOptions = {}): Promise<void> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const present = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  // Evaluated over the DevTools protocol, not as a <script>: the app's CSP (script-src 'self') stays as it is.
  if (!present) await page.evaluate(axeSource);
  // Let fonts, transitions and finite animations settle (a colour-scheme or width change starts
  // 150 ms colour transitions), so colours are measured as shown; at most 3 s.
  await page.evaluate(async () => {
    await document.fonts.ready;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const running = document.getAnimations().filter((a) => a.effect?.getComputedTiming().iterations !== Infinity);
    await Promise.race([Promise.all(running.map((a) => a.finished.catch(() => undefined))), new Promise((r) => setTimeout(r, 3000))]);
  });
  const result = await page.evaluate(
    async ({ tags, include, exclude }) => {
      const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> } }).axe;
      const context: { include?: string[][]; exclude?: string[][] } = {};
      if (include) context.include = [[include]];
      if (exclude.length) context.exclude = exclude.map((s) => [s]);
      const r = await axe.run(include || exclude.length ? context : document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      return {
        violations: r.violations,
        width: window.innerWidth,
        dark: window.matchMedia('(prefers-color-scheme: dark)').matches,
      };
    },
    { tags: AXE_TAGS, include: opts.include ?? '', exclude: opts.exclude ?? [] },
  );
  const violations = result.violations as AxeViolation[];
  const scheme = result.dark ? 'dark' : 'light';
  const file = (expect.getState().testPath ?? '').replace(process.cwd() + '/', '');
  record({ label, width: result.width, scheme, violations: violations.length, nodes: violations.reduce((n, v) => n + v.nodes.length, 0), file });
  if (violations.length) {
    throw new Error(`axe: ${violations.length} violation(s) on "${label}" at ${result.width}px (${scheme}) — ${page.url()}\n${formatViolations(violations)}`);
  }
}

/**
 * Checks the page at its own (desktop) width and at 390 px (phone), then restores the viewport.
 * With `schemes: ['light', 'dark']` each width is checked in both colour schemes
 * (prefers-color-scheme, emulated), and the light scheme is restored after.
 */
export async function expectNoAxeViolationsAtWidths(
  page: Page,
  label: string,
  opts: AxeOptions & { widths?: number[]; schemes?: ('light' | 'dark')[] } = {},
): Promise<void> {
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  const widths = opts.widths ?? [original.width, 390];
  const schemes = opts.schemes ?? [];
  try {
    for (const w of widths) {
      if (page.viewportSize()?.width !== w) await page.setViewportSize({ width: w, height: w <= 480 ? 844 : original.height });
      if (!schemes.length) await expectNoAxeViolations(page, label, opts);
      for (const colorScheme of schemes) {
        await page.emulateMedia({ colorScheme });
        await expectNoAxeViolations(page, label, opts);
      }
    }
  } finally {
    if (schemes.length) await page.emulateMedia({ colorScheme: 'light' });
    if (page.viewportSize()?.width !== original.width) await page.setViewportSize(original);
  }
}
