import { Box, Text } from 'ink';
import type { BanRow, SortKey } from '../data.js';
import { expiresIn, fit, since } from '../text.js';
import { Row, Title } from './common.js';
import { windowStart } from './layout.js';

export interface BansPaneProps {
  rows: BanRow[];
  selected: number;
  focused: boolean;
  jail: string | null;
  filter: string;
  sort: SortKey;
  now: number;
  width: number;
  height: number;
}

/** Draws only the visible slice, so 100,000 bans cost what 20 do. */
export function BansPane({ rows, selected, focused, jail, filter, sort, now, width, height }: BansPaneProps) {
  const visible = height - 2;
  const start = windowStart(selected, rows.length, visible);
  return (
    <Box flexDirection="column" height={height}>
      <Title focused={focused} width={width} text={`BANS ${jail ?? 'all jails'}${filter ? ` · filter ${filter}` : ''} · ${rows.length} · by ${sort}`} />
      <Text dimColor>{fit(`  ${fit('IP', 22)} ${fit('JAIL(S)', 14)} ${fit('SINCE', 10)} ${fit('EXPIRES', 11)} FAIL BEF. SOURCE`, width)}</Text>
      {rows.slice(start, start + visible).map((r, i) => {
        const line = `${fit(r.ip, 22)} ${fit(r.jails.join(','), 14)} ${fit(since(r.bannedAt, now), 10)} ${fit(expiresIn(r.expiresAt, now), 11)} ${String(r.failures).padStart(4)} ${String(r.banCount).padStart(4)} ${r.source}`;
        return <Box key={r.ip}><Row on={focused && start + i === selected} text={line} width={width} /></Box>;
      })}
    </Box>
  );
}
