import { setFlagsFromString } from 'node:v8';

/**
 * A per-line budget for regexes. A filter from an operator's filter.d may
 * backtrack catastrophically (`(a+)+$` on a long line); JavaScript cannot
 * interrupt a running regex, so V8 is told to switch a match that exceeds its
 * backtrack budget to its linear-time engine instead. That engine cannot run
 * back-references or lookarounds, so those regexes are flagged at load
 * (filter/regex-risk.ts) instead. Imported first by the CLI entry point, before
 * any filter is compiled.
 */
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
