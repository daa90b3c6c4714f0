import type { Reporter, TestCase, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line, "N passed, N failed, N skipped", that any
 * CI can read. Before it, why tests were skipped: a test that needs root, nft,
 * tmux, Redis or Debian's fail2ban says so in its title ("(skipped: …)"), and
 * vitest's default output names a skipped file without its titles, so a
 * developer who runs `npm test` without root saw "51 skipped" and no reason.
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

/** The reason a skipped test gives, in its own title, a suite's around it, or ctx.skip(note); null when none does (`it.skip` while working on something, an `only` elsewhere). */
export function skipReason(t: TestCase): string | null {
  const r = t.result();
  if (r.state === 'skipped' && r.note) return r.note;
  // A reason may hold parentheses of its own ("needs root … (run the tests as root, as CI does)"): it ends where its title does.
  return /\(skipped: (.*?)\)(?: > |$)/.exec(t.fullName)?.[1] ?? null;
}
