/**
 * An integer as fail2ban reads one, with Python's int(): decimal digits,
 * maybe a sign, underscores between digits ("1_000"), spaces around.
 * "2.0", "1e1" or "0x2" are no integer to int() (fail2ban warns and falls
 * back to the option's default), so here they are errors, not guesses:
 * JavaScript's Number() would read them as 2, 10 and 2. Null when `text` is
 * not one; the caller checks the range.
 */
export function wholeNumber(text: string): number | null {
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(text);
  if (m === null) return null;
  const n = Number(m[2]!.replaceAll('_', ''));
  // -0 is 0, as in Python.
  return m[1] === '-' && n !== 0 ? -n : n;
}
