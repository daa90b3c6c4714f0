const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text as the terminal should show it, not obey it. Log lines are written by
 * whoever the log is about: an escape sequence in one (a user name with
 * ESC[2J, an OSC that retitles the window) would clear, move or rewrite the
 * screen of whoever watches it. Each control character becomes its visible
 * symbol (␛, ␉, ␡; C1 codes �), one column wide, so widths stay as they were.
 */
export function visible(text: string): string {
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROLS, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x20 ? String.fromCharCode(0x2400 + n) : n === 0x7f ? '\u2421' : '\ufffd';
  });
}
