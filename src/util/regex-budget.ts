import { setFlagsFromString } from 'node:v8';

/**
 * A per-line budget for regexes. A filter from an operator's filter.d may
 * backtrack catastrophically (`(a+)+$` on a long line); JavaScript cannot
 * interrupt a running regex, so V8 is told to switch a match that exceeds its
 * backtrack budget to its linear-time engine instead. That engine cannot run
 * back-references or lookarounds, so those regexes are flagged at load
 * (filter/regex-risk.ts) instead.
 *
 * V8 gives a regex its budget when the regex is built, so every regex that
 * runs on log text is built through budgetedRegExp(). The flag is set then,
 * not when the program starts: changing a V8 flag makes V8 reject Node's
 * built-in code cache for what it compiles afterwards, and a worker thread
 * booting after the change compiled Node's own modules from source (an empty
 * worker booted in 61-68 ms against 23-28; `bantop regex`'s worker took
 * 125-190 ms against 27-50 while the first thread loaded the CLI).
 */
let set = false;
let before: (() => void) | null = null;

/** Sets V8's flag once, before the first regex that needs the budget. */
export function ensureRegexBudget(): void {
  if (set) return;
  set = true;
  const hook = before;
  before = null;
  hook?.();
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
}

/** A RegExp that runs on log text: built with the backtrack budget. */
export function budgetedRegExp(source: string, flags?: string): RegExp {
  if (!set) ensureRegexBudget();
  return new RegExp(source, flags);
}

/**
 * `hook` runs once, just before the flag is set: the parallel `bantop regex`
 * lets the worker it started early finish booting first (regex-thread.ts).
 * Null takes it back.
 */
export function beforeRegexBudget(hook: (() => void) | null): void {
  if (!set) before = hook;
}
