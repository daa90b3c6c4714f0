import { formatDuration } from '../util/duration.js';
import { cidrSize, parseCidr } from '../util/ip.js';

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
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length <= width) return text + ' '.repeat(width - chars.length);
  return chars.slice(0, Math.max(0, width - 1)).join('') + '…';
}

/** How much a target covers, for the "type the CIDR to confirm" rule. */
export function targetSize(target: string): number {
  const c = parseCidr(target);
  return c ? cidrSize(c) : 1;
}
