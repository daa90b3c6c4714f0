import type { Reporter, TestModule } from 'vitest/node';
import { skipReason } from './skip-note.js';

/**
 * Ends the run with one plain line, "N passed, N failed, N skipped", that any
 * CI can read. Before it, a line for each reason tests were skipped
 * (skip-note.ts): a developer who runs `npm test` without root saw "51
 * skipped" and no reason.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const reasons = new Map<string, { tests: number; files: Set<string> }>();
    for (const m of modules) {
      let failedHere = 0;
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failedHere++;
        else {
          skipped++;
          const why = skipReason(t);
          if (why === null) continue;
          const r = reasons.get(why) ?? { tests: 0, files: new Set<string>() };
          r.tests++;
          r.files.add(m.relativeModuleId);
          reasons.set(why, r);
        }
      }
      // A file that fails outside its tests (it does not compile, a hook throws) counts once: it has no test to fail.
      if (failedHere === 0 && m.state() === 'failed') failedHere = 1;
      failed += failedHere;
    }
    const lines = [...reasons].map(([why, r]) => `  ${r.tests} skipped: ${why} (${[...r.files].sort().join(', ')})`);
    process.stdout.write(`\n${lines.length > 0 ? `${lines.join('\n')}\n` : ''}${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

