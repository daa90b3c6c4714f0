import type { CompiledRegex } from './compiled-regex.js';

/**
 * Which failregexes can match a line, looked up by the line's first two
 * characters. fail2ban's failregexes are anchored at the start of the content,
 * and most begin with a word ("Failed", "Invalid user", "Connection closed"),
 * so a line reaches the one or two regexes it could match instead of every
 * regex in turn. The order of the candidates is the filter's order, so the
 * first match is the one fail2ban would find.
 *
 * The second character matters where a first one is shared: "CRON[…]" and
 * "Connection closed" both start with C, and each CRON line searched itself
 * for the Connection regexes' literals (three searches of the whole line).
 */
export class FirstCharRouter {
  private readonly byChar: Int32Array[] = [];
  /** Per first character, the candidates by second character; null where no regex tells its second character. */
  private readonly bySecond: Array<Int32Array[] | null> = [];
  private readonly all: Int32Array;

  constructor(regexes: CompiledRegex[]) {
    this.all = Int32Array.from(regexes.keys());
    for (let c = 0; c < 128; c++) {
      const list: number[] = [];
      regexes.forEach((r, i) => {
        if (r.firstChars === null || r.firstChars[c] === 1) list.push(i);
      });
      this.byChar.push(Int32Array.from(list));
      this.bySecond.push(list.some((i) => regexes[i]!.leadPairs !== null) ? secondRow(regexes, list, c) : null);
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
    if (!(c < 128)) return this.all;
    const row = this.bySecond[c];
    if (!row) return this.byChar[c]!;
    const d = text.charCodeAt(1);
    return d < 128 ? row[d]! : this.byChar[c]!;
  }
}

/** For first character `c`: per second character, the regexes of `list` that can start with the two. */
function secondRow(regexes: CompiledRegex[], list: number[], c: number): Int32Array[] {
  const row: Int32Array[] = [];
  const seen = new Map<string, Int32Array>();
  for (let d = 0; d < 128; d++) {
    const ok = list.filter((i) => {
      const pairs = regexes[i]!.leadPairs;
      return pairs === null || pairs.some(([a, b]) => a === c && b === d);
    });
    // Rows share their lists: most second characters give the same few.
    const key = ok.join(',');
    let arr = seen.get(key);
    if (arr === undefined) seen.set(key, (arr = Int32Array.from(ok)));
    row.push(arr);
  }
  return row;
}
