/**
 * A copy of `s` that does not keep a larger string alive. V8 represents a
 * substring of 13+ characters as a view into its parent, so an address stored
 * in a map could pin the whole megabyte chunk of log it was cut from.
 * Use it where strings from log lines are kept long-term.
 */
export function detach(s: string): string {
  return (' ' + s).slice(1);
}
