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

export interface DetailViewProps {
  detail: Detail;
  held: BanView[];
  failures: string[];
  now: number;
  width: number;
  height: number;
}

/** Enter on an address: the jails that hold it, whether it is whitelisted, its ban history and the failure lines seen. */
export function DetailView({ detail: d, held, failures, now, width, height }: DetailViewProps) {
  const lines = [
    `held by: ${held.length ? held.map((b) => `${b.jail} (${expiresIn(b.expiresAt, now)}, ${b.source}${b.reason ? `: ${b.reason}` : ''})`).join(', ') : 'no jail'}`,
    `whitelisted: ${d.whitelisted ?? '…'}`,
    'history:',
    ...(d.history ?? []).slice(-Math.max(1, Math.floor(height / 2))).map((h) => `  ${new Date(h.time).toISOString().replace('T', ' ').slice(0, 19)} ${h.event} [${h.jail}]` +
      `${h.event === 'ban' ? ` ${h.bantime === -1 ? 'permanent' : formatDuration(h.bantime ?? 0)}, ${h.failures} failures, ${h.source}${h.reason ? `: ${h.reason}` : ''}` : ` (${h.reason})`}`),
    'failures seen:',
    ...failures.map((l) => `  ${l}`),
  ];
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>{fit(`■ ${d.ip}`, width)}</Text>
      {lines.slice(0, height - 1).map((l, i) => <Text key={i}>{fit(l, width)}</Text>)}
    </Box>
  );
}
