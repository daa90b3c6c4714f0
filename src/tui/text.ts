import { formatDuration } from '../util/duration.js';
import { cidrSize, parseCidr } from '../util/ip.js';
import { visible } from '../util/visible.js';

const BARS = ' ▁▂▃▄▅▆▇█';

/** 60 per-minute counts squeezed into `width` cells (summed), scaled to the busiest cell. */
export function sparkline(series: number[], width: number): string {
  if (width <= 0) return '';
  const cells: number[] = new Array(width).fill(0);
  series.forEach((v, i) => {
    cells[Math.min(width - 1, Math.floor((i * width) / series.length))]! += v;
  });
  const max = Math.max(...cells);
  return cells.map((v) => (v === 0 ? '·' : BARS[Math.max(1, Math.round((v / max) * 8))]!)).join('');
}

export function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

export function expiresIn(expiresAt: number | null, now: number): string {
  return expiresAt === null ? 'permanent' : `in ${formatDuration(Math.max(0, Math.round((expiresAt - now) / 1000)))}`;
}

export function since(bannedAt: number, now: number): string {
  return now - bannedAt < 86400_000 ? clock(bannedAt) : new Date(bannedAt).toISOString().slice(0, 10);
}

/** Fit text to exactly `width` columns: pad or cut with an ellipsis (lines never wrap, so the screen never grows). */
export function fit(raw: string, width: number): string {
  if (width <= 0) return '';
  const text = visible(raw);
  const chars = [...text];
  if (chars.length <= width) return text + ' '.repeat(width - chars.length);
  return chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

/** How much a target covers, for the "type the CIDR to confirm" rule. */
export function targetSize(target: string): number {
  const c = parseCidr(target);
  return c ? cidrSize(c) : 1;
}

/** A piece of a log line as drawn: part of the failregex's match, the address, or neither. */
export interface Span {
  text: string;
  match: boolean;
  ip: boolean;
}

/**
 * A log line fitted to `room` characters, as spans that mark the text the
 * failregex matched and the address. When the address would fall off the end,
 * the line is shown from a little before it ("…" first), so it stays in view.
 */
export function logSpans(raw: string, room: number, match?: string, ip?: string): Span[] {
  const chars = [...raw];
  const cp = (utf16: number) => [...raw.slice(0, utf16)].length;
  const range = (at: number, text: string): [number, number] => (at < 0 ? [-1, -1] : [cp(at), cp(at) + [...text].length]);
  const matchAt = match ? raw.indexOf(match) : -1;
  const [ms, me] = match ? range(matchAt, match) : [-1, -1];
  // The address inside the match (a line may name more than one), else anywhere.
  const inMatch = ip && matchAt >= 0 ? raw.indexOf(ip, matchAt) : -1;
  const ipAt = !ip ? -1 : inMatch >= 0 ? inMatch : raw.indexOf(ip);
  const [is, ie] = ip ? range(ipAt, ip) : [-1, -1];

  let start = 0;
  if (is >= 0 && ie > room - 1) start = Math.max(0, is - Math.floor(room / 3));
  const cells: Array<{ ch: string; match: boolean; ip: boolean }> = [];
  if (start > 0) cells.push({ ch: '…', match: false, ip: false });
  for (let i = start; i < chars.length; i++) cells.push({ ch: visible(chars[i]!), match: i >= ms && i < me, ip: i >= is && i < ie });
  if (cells.length > room) {
    cells.length = Math.max(0, room - 1);
    cells.push({ ch: '…', match: false, ip: false });
  }
  while (cells.length < room) cells.push({ ch: ' ', match: false, ip: false });

  const spans: Span[] = [];
  for (const c of cells) {
    const last = spans[spans.length - 1];
    if (last && last.match === c.match && last.ip === c.ip) last.text += c.ch;
    else spans.push({ text: c.ch, match: c.match, ip: c.ip });
  }
  return spans;
}
