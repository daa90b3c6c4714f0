import { formatDuration } from '../util/duration.js';

export type BanLogFormat = 'plain' | 'fail2ban';

export interface BanLogEntry {
  kind: 'ban' | 'unban';
  time: number;
  jail: string;
  ip: string;
  /** Seconds, -1 permanent (bans only). */
  bantime?: number;
  /** The rule that matched (a closed-ports LOG prefix such as "ssh-blocked-port-22"), when the filter names one. */
  rule?: string | undefined;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const day = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const clock = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

/** Local time as fail2ban and syslog tools read it: `2026-11-21 10:00:00`. */
export function localDateTime(ms: number): string {
  const d = new Date(ms);
  return `${day(d)} ${clock(d)}`;
}

/**
 * One ban-log line, without the newline.
 *  plain:    [2023-06-12] [http-blocked-port-80] [192.168.0.1] Host banned permanently.
 *  fail2ban: 2023-06-12 10:00:00,123 fail2ban.actions [1234]: NOTICE [sshd] Ban 192.168.0.1
 * The fail2ban form is what fail2ban's own recidive filter reads.
 */
export function formatBanLogLine(e: BanLogEntry, format: BanLogFormat, pid: number): string {
  const d = new Date(e.time);
  if (format === 'fail2ban') {
    return `${day(d)} ${clock(d)},${pad(d.getMilliseconds(), 3)} fail2ban.actions [${pid}]: NOTICE [${e.jail}] ${e.kind === 'ban' ? 'Ban' : 'Unban'} ${e.ip}`;
  }
  const what = e.kind === 'unban' ? 'Host unbanned.'
    : e.bantime === undefined || e.bantime < 0 ? 'Host banned permanently.' : `Host banned for ${formatDuration(e.bantime)}.`;
  return `[${day(d)}] [${e.rule ?? e.jail}] [${e.ip}] ${what}`;
}
