/**
 * Why a test was skipped, in its title: a test or suite that needs root, nft,
 * tmux, Redis or Debian's fail2ban ends its title with " (skipped: reason)"
 * when it cannot run here. vitest's default output names a skipped file but
 * not its titles, so the summary reporter reads the reasons back (skipReason)
 * and lists them.
 */
import type { TestCase } from 'vitest/node';

/** ` (skipped: reason)` for the title of what `reason` skips; '' when it runs (null). */
export function skipNote(reason: string | null): string {
  return reason === null ? '' : ` (skipped: ${reason})`;
}

/** The reason a skipped test gives, in its own title, a suite's around it, or ctx.skip(note); null when none does (`it.skip` while working on something, an `only` elsewhere). */
export function skipReason(t: TestCase): string | null {
  const r = t.result();
  if (r.state === 'skipped' && r.note) return r.note;
  // A reason may hold parentheses of its own ("needs root … (run the tests as root, as CI does)"): it ends where its title does.
  return /\(skipped: (.*?)\)(?: > |$)/.exec(t.fullName)?.[1] ?? null;
}
