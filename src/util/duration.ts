/**
 * Durations as fail2ban writes them: plain seconds (`600`), units (`10m`,
 * `1h`, `1d`, `1w`, `1mo`, `1y`), sums (`1d 12h`, `1h30m`) and `-1` for forever.
 * Returns seconds; -1 means permanent.
 */
const UNIT_SECONDS: Array<[RegExp, number]> = [
  [/^(?:y|yy|years?)$/, 365.25 * 86400 * 1],
  [/^(?:mo|mon|months?)$/, (365.25 / 12) * 86400],
  [/^(?:w|ww|weeks?)$/, 7 * 86400],
  [/^(?:d|dd|days?)$/, 86400],
  [/^(?:h|hh|hours?)$/, 3600],
  [/^(?:m|mm|mi|min|mins|minutes?)$/, 60],
  [/^(?:s|ss|sec|secs|seconds?)$/, 1],
];

export class DurationError extends Error {}

export function parseDuration(text: string): number {
  const s = text.trim().toLowerCase();
  if (s === '') throw new DurationError('empty duration');
  if (/^-?\d+(?:\.\d+)?$/.test(s)) {
    const n = Number(s);
    if (n < 0 && n !== -1) throw new DurationError(`negative duration "${text}" (only -1, forever, is allowed)`);
    return n;
  }
  if (/^(?:permanent|forever|never)$/.test(s)) return -1;
  let total = 0;
  let rest = s;
  const part = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)/;
  while (rest.trim() !== '') {
    const m = part.exec(rest);
    if (!m) throw new DurationError(`not a duration: "${text}" (use e.g. 600, 10m, 1h, 1d, 1w or -1)`);
    const unit = UNIT_SECONDS.find(([re]) => re.test(m[2]!));
    if (!unit) throw new DurationError(`unknown unit "${m[2]}" in duration "${text}"`);
    total += Number(m[1]) * unit[1];
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** A short human form, for messages and the ban log: 600 -> "10m". */
export function formatDuration(seconds: number): string {
  if (seconds < 0) return 'permanent';
  const units: Array<[string, number]> = [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
  let rest = Math.round(seconds);
  if (rest === 0) return '0s';
  const out: string[] = [];
  for (const [name, size] of units) {
    if (rest >= size) {
      out.push(`${Math.floor(rest / size)}${name}`);
      rest %= size;
    }
  }
  return out.join('');
}
