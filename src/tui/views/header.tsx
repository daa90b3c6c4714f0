import { Text } from 'ink';
import { formatDuration } from '../../util/duration.js';
import type { Status } from '../source.js';
import { fit } from '../text.js';

export interface HeaderProps {
  status: Status | null;
  /** attached SOCKET, embedded, or demo. */
  modeLabel: string;
  paused: boolean;
  operator: string;
  bansFallback: number;
  width: number;
}

export function Header({ status: st, modeLabel, paused, operator, bansFallback, width }: HeaderProps) {
  const t = st?.totals;
  const head1 = `bantop ${st?.host ?? ''} │ ${modeLabel} │ ${st?.firewall ?? '…'} │ up ${formatDuration(st?.uptime ?? 0)}${paused ? ' │ PAUSED' : ''}`;
  const head2 = `fail/min ${t?.failuresLastMinute ?? 0}  bans ${t?.bans ?? bansFallback}  permanent ${t?.permanentBans ?? 0}  │ protected: ${operator || 'none (not over SSH)'}`;
  return (
    <>
      <Text bold>{fit(head1, width)}</Text>
      <Text>{fit(head2, width)}</Text>
    </>
  );
}
