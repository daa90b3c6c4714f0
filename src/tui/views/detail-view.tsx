import { Box, Text } from 'ink';
import type { BanView } from '../../daemon/service.js';
import type { HistoryEntry } from '../../store/sqlite-store.js';
import { formatDuration } from '../../util/duration.js';
import { expiresIn, fit } from '../text.js';

export interface Detail {
  ip: string;
  /** Null until the engine answered. */
  history: HistoryEntry[] | null;
  whitelisted: 'yes' | 'no' | null;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function historyLine(h: HistoryEntry): string {
  const what = h.event === 'ban'
    ? ` ${h.bantime === -1 ? 'permanent' : formatDuration(h.bantime ?? 0)}, ${h.failures} failures, ${h.source}${h.reason ? `: ${h.reason}` : ''}`
    : ` (${h.reason})`;
  return `  ${stamp(h.time)} ${h.event} [${h.jail}]${what}`;
}

/**
 * Everything the detail view says about an address, one string per screen
 * line: the jails holding it, whether it is whitelisted, every ban and unban
 * in its history with the log lines of the failures behind each ban (kept by
 * the store), and the failure lines this screen saw since.
 */
export function detailLines(d: Detail, held: BanView[], failures: string[], now: number): string[] {
  const lines = [
    `held by: ${held.length ? held.map((b) => `${b.jail} (${expiresIn(b.expiresAt, now)}, ${b.source}${b.reason ? `: ${b.reason}` : ''})`).join(', ') : 'no jail'}`,
    `whitelisted: ${d.whitelisted ?? '…'}`,
    d.history === null ? 'history: …' : `history: ${d.history.length} event(s)${d.history.length ? '' : ' (never banned)'}`,
  ];
  for (const h of d.history ?? []) {
    lines.push(historyLine(h));
    for (const l of h.lines ?? []) lines.push(`      ${l}`);
  }
  lines.push(`failures seen on this screen: ${failures.length}`, ...failures.map((l) => `  ${l}`));
  return lines;
}

export interface DetailViewProps {
  ip: string;
  lines: string[];
  /** The first line shown. */
  top: number;
  width: number;
  height: number;
}

/** Enter on an address: its detail, scrolled with j/k, PgUp/PgDn, g/G. */
export function DetailView({ ip, lines, top, width, height }: DetailViewProps) {
  const visible = Math.max(1, height - 1);
  const first = Math.max(0, Math.min(top, lines.length - visible));
  const where = lines.length > visible ? ` · lines ${first + 1}-${Math.min(lines.length, first + visible)} of ${lines.length}` : '';
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>{fit(`■ ${ip}${where}`, width)}</Text>
      {lines.slice(first, first + visible).map((l, i) => <Text key={i}>{fit(l, width)}</Text>)}
    </Box>
  );
}
