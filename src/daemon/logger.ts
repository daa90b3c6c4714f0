import { appendFileSync } from 'node:fs';

const LEVELS = ['CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'] as const;
export type Level = (typeof LEVELS)[number];

export interface Logger {
  log(level: Level, msg: string): void;
}

/**
 * The daemon's own log: stderr by default (journald adds the time), or a file
 * named by `logtarget`. fail2ban's level names and the `WARN` alias.
 */
export function createLogger(target: string, level: string): Logger {
  const upper = level.toUpperCase() === 'WARN' ? 'WARNING' : level.toUpperCase();
  const max = Math.max(0, LEVELS.indexOf(upper as Level) === -1 ? LEVELS.indexOf('INFO') : LEVELS.indexOf(upper as Level));
  const t = target.toUpperCase();
  const write = t === 'STDERR' || t === 'SYSTEMD-JOURNAL' || t === 'SYSLOG' ? (s: string) => process.stderr.write(s)
    : t === 'STDOUT' ? (s: string) => process.stdout.write(s)
      : fileWriter(target);
  const stamp = t.startsWith('STD') || t === 'SYSTEMD-JOURNAL' ? () => '' : () => `${new Date().toISOString()} `;
  return {
    log(lv, msg) {
      if (LEVELS.indexOf(lv) > max) return;
      write(`${stamp()}bantop ${lv.padEnd(7)} ${msg}\n`);
    },
  };
}

/**
 * A log file opened per write (so logrotate needs no signal), with the lines
 * of one event-loop turn in one write: an import of 100,000 bans logs 100,000
 * lines without 100,000 opens.
 */
function fileWriter(path: string): (s: string) => void {
  let buffer = '';
  const flush = () => {
    const text = buffer;
    buffer = '';
    try { appendFileSync(path, text); } catch { process.stderr.write(text); }
  };
  return (s) => {
    if (buffer === '') setImmediate(flush);
    buffer += s;
  };
}
