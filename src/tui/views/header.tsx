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
  const f = st?.fleet;
  const fleet = f ? ` │ fleet ${f.name} ${f.connected ? `lag ${f.lagMs < 1000 ? `${f.lagMs}ms` : formatDuration(Math.round(f.lagMs / 1000))}` : 'DOWN'}` : '';
  const head1 = `bantop ${st?.host ?? ''} │ ${modeLabel} │ ${st?.firewall ?? '…'}${fleet} │ up ${formatDuration(st?.uptime ?? 0)}${paused ? ' │ PAUSED' : ''}`;
  const head2 = `fail/min ${t?.failuresLastMinute ?? 0}  bans ${t?.bans ?? bansFallback}  permanent ${t?.permanentBans ?? 0}  │ protected: ${operator || 'none (not over SSH)'}`;
  return (
    <>
      <Text bold>{fit(head1, width)}</Text>
      <Text>{fit(head2, width)}</Text>
    </>
  );
}
