import type { Reporter, TestModule } from 'vitest/node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AxeRecord } from './a11y.js';

/** Prints one plain closing line, "N passed, N failed, N skipped", after vitest's own summary. */
export default class SummaryReporter implements Reporter {
  // The axe checks of this run (test/support/a11y.ts) are appended here by the test workers, which
  // inherit the variable; a folder per run, so runs side by side on one machine do not mix.
  private axeDir = mkdtempSync(join(tmpdir(), 'admit-axe-'));
  constructor() {
    process.env.ADMIT_AXE_LOG = join(this.axeDir, 'axe.jsonl');
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++;
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else skipped++;
      }
    }
    failed += errors.length;
    let axe = '';
    try {
      axe = summariseAxeLog(readFileSync(join(this.axeDir, 'axe.jsonl'), 'utf8'));
    } catch {
      // No browser test checked a page in this run.
    }
    rmSync(this.axeDir, { recursive: true, force: true });
    if (axe) process.stdout.write(axe);
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}

/** Reads an axe log written during a run and summarises it (used by the summary reporter). */
function summariseAxeLog(text: string): string {
  const rows = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AxeRecord);
  if (!rows.length) return '';
  const byLabel = new Map<string, { widths: Set<number>; schemes: Set<string>; checks: number; violations: number }>();
  for (const r of rows) {
    const e = byLabel.get(r.label) ?? { widths: new Set(), schemes: new Set(), checks: 0, violations: 0 };
    e.widths.add(r.width);
    e.schemes.add(r.scheme);
    e.checks++;
    e.violations += r.violations;
    byLabel.set(r.label, e);
  }
  const widths = new Set(rows.map((r) => r.width));
  const total = rows.reduce((n, r) => n + r.violations, 0);
  const labels = [...byLabel.keys()].sort();
  const pad = Math.min(48, Math.max(...labels.map((l) => l.length)));
  const lines = labels.map((l) => {
    const e = byLabel.get(l)!;
    const ws = [...e.widths].sort((a, b) => b - a).join('/');
    return `  ${l.padEnd(pad)}  widths ${ws.padEnd(10)} ${[...e.schemes].sort().join('+').padEnd(10)} checks ${String(e.checks).padStart(3)}  violations ${e.violations}`;
  });
  return (
    `\naxe summary: ${byLabel.size} pages/dialogs × ${widths.size} widths (${[...widths].sort((a, b) => b - a).join(', ')} px), ` +
    `${rows.length} checks, ${total} violations\n${lines.join('\n')}\n`
  );
}
