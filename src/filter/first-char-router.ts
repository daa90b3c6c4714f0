import type { CompiledRegex } from './compiled-regex.js';

/**
 * Which failregexes can match a line, looked up by the line's first
 * character. fail2ban's failregexes are anchored at the start of the content,
 * and most begin with a word ("Failed", "Invalid user", "Connection closed"),
 * so a line reaches the one or two regexes it could match instead of every
 * regex in turn. The order of the candidates is the filter's order, so the
 * first match is the one fail2ban would find.
 */
export class FirstCharRouter {
  private readonly byChar: Int32Array[] = [];
  private readonly all: Int32Array;

  constructor(regexes: CompiledRegex[]) {
    this.all = Int32Array.from(regexes.keys());
    for (let c = 0; c < 128; c++) {
      const list: number[] = [];
      regexes.forEach((r, i) => {
        if (r.firstChars === null || r.firstChars[c] === 1) list.push(i);
      });
      this.byChar.push(Int32Array.from(list));
    }
  }

  /** Whether routing narrows anything: some regex has a known first character. */
  static useful(regexes: CompiledRegex[]): boolean {
    return regexes.some((r) => r.firstChars !== null);
  }

  /** Indices of the regexes that can match `text`, in filter order. */
  candidates(text: string): Int32Array {
    const c = text.charCodeAt(0);
    // Non-ASCII and the empty line try everything (NaN < 128 is false).
    return c < 128 ? this.byChar[c]! : this.all;
  }
}
