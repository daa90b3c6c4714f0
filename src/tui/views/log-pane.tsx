import { Box, Text } from 'ink';
import type { LogEntry } from '../data.js';
import { clock, fit, logSpans } from '../text.js';
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

/**
 * Matched lines carry ●, ignored ones ○ and their reason; the part the failregex matched is underlined and the
 * address in it bold (and yellow), kept in view.
 */
function LogLine({ e, selected, width }: { e: LogEntry; selected: boolean; width: number }) {
  const mark = e.kind === 'matched' ? '●' : e.kind === 'ignored' ? '○' : ' ';
  const prefix = `${mark} ${clock(e.time)} ${fit(e.jail, 10)} `;
  const room = Math.max(1, width - prefix.length - 1);
  const raw = e.kind === 'ignored' ? `[${e.why}] ${e.text}` : e.text;
  const spans = logSpans(raw, room, e.match, e.ip);
  if (selected) return <Text dimColor={e.kind !== 'matched'} inverse>{fit('▸' + prefix + spans.map((s) => s.text).join(''), width)}</Text>;
  return (
    <Text dimColor={e.kind !== 'matched'}>
      {' ' + prefix}
      {spans.map((s, i) => (s.match || s.ip ? <Text key={i} underline={s.match} bold={s.ip} color={s.ip ? 'yellow' : undefined}>{s.text}</Text> : s.text))}
    </Text>
  );
}
