/**
 * A count as fail2ban reads one, with Python's int(): decimal digits, maybe
 * a leading "+", underscores between digits ("1_000"), spaces around. "2.0",
 * "1e1" or "0x2" are no count to int() (fail2ban warns and falls back to the
 * option's default), so here they are errors, not guesses: JavaScript's
 * Number() would read them as 2, 10 and 2. Null when `text` is not one.
 */
export function wholeNumber(text: string): number | null {
  const m = /^\s*\+?(\d+(?:_\d+)*)\s*$/.exec(text);
  return m === null ? null : Number(m[1]!.replaceAll('_', ''));
}
