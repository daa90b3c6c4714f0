import { Box } from 'ink';
import type { Status } from '../source.js';
import { fit, sparkline } from '../text.js';
import { Row, Title } from './common.js';

export interface JailsPaneProps {
  jails: Status['jails'];
  selected: number;
  focused: boolean;
  /** The jail whose bans the bans pane shows, marked ◆. */
  inView: string | null;
  width: number;
  height: number;
  sparkW: number;
}

export function JailsPane({ jails, selected, focused, inView, width, height, sparkW }: JailsPaneProps) {
  const start = Math.max(0, selected - (height - 3));
  return (
    <Box flexDirection="column" height={height}>
      <Title focused={focused} width={width} text={`JAILS ${fit('', 9)}FAIL/MAX ${fit('offences, 60 min', sparkW)}  BANS PERM  TOTAL  match/ign/miss`} />
      {jails.slice(start, start + height - 2).map((j, i) => {
        const fails = j.passive ? '   -   ' : `${String(j.failuresInWindow).padStart(3)}/${String(j.maxretry).padEnd(3)}`;
        const line = `${fit(j.name, 14)} ${fails} ${sparkline(j.offences, sparkW)} ${String(j.currentBans).padStart(5)} ${String(j.permanentBans).padStart(4)} ${String(j.totalBans).padStart(6)}  ` +
          `${j.filter.matched}/${j.filter.ignored}/${j.filter.missed}${inView === j.name ? ' ◆' : ''}`;
        return <Box key={j.name}><Row on={focused && start + i === selected} text={line} width={width} /></Box>;
      })}
    </Box>
  );
}
