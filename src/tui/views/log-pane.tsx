import { Box, Text } from 'ink';
import type { LogEntry } from '../data.js';
import { clock, fit } from '../text.js';
import { Title } from './common.js';

export interface LogPaneProps {
  /** The lines in view, oldest first; the last one is the cursor when the pane is focused. */
  lines: LogEntry[];
  focused: boolean;
  filter: string;
  paused: boolean;
  back: number;
  width: number;
  height: number;
}

export function LogPane({ lines, focused, filter, paused, back, width, height }: LogPaneProps) {
  return (
    <Box flexDirection="column" height={height}>
      <Title focused={focused} width={width} text={`LOG ● matched ○ ignored${filter ? ` · filter ${filter}` : ''}${paused ? ' — PAUSED' : back ? ` — ${back} lines back` : ''}`} />
      {lines.map((e, i) => <LogLine key={i} e={e} selected={focused && i === lines.length - 1} width={width} />)}
    </Box>
  );
}

/** Matched lines carry ●, ignored ones ○ and their reason; the address is highlighted and kept in view. */
function LogLine({ e, selected, width }: { e: LogEntry; selected: boolean; width: number }) {
  const mark = e.kind === 'matched' ? '●' : e.kind === 'ignored' ? '○' : ' ';
  const prefix = `${mark} ${clock(e.time)} ${fit(e.jail, 10)} `;
  const room = Math.max(1, width - prefix.length - 1);
  let raw = e.kind === 'ignored' ? `[${e.why}] ${e.text}` : e.text;
  const ipAt = e.ip ? raw.indexOf(e.ip) : -1;
  if (ipAt >= 0 && ipAt + e.ip!.length > room - 1) raw = `…${raw.slice(Math.max(0, ipAt - Math.floor(room / 3)))}`;
  const text = fit(raw, room);
  const at = e.ip ? text.indexOf(e.ip) : -1;
  if (at < 0 || selected) return <Text dimColor={e.kind !== 'matched'} inverse={selected}>{fit((selected ? '▸' : ' ') + prefix + text, width)}</Text>;
  return (
    <Text dimColor={e.kind === 'ignored'}>
      {' ' + prefix + text.slice(0, at)}<Text bold color="yellow">{e.ip}</Text>{text.slice(at + e.ip!.length)}
    </Text>
  );
}
