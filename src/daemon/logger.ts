import { BatchedAppend } from '../util/batched-append.js';
import { detachTerminal, isTerminalGone } from '../util/terminal.js';

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
  const write = t === 'STDERR' || t === 'SYSTEMD-JOURNAL' || t === 'SYSLOG' ? streamWriter(process.stderr)
    : t === 'STDOUT' ? streamWriter(process.stdout)
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
 * stderr or stdout. A daemon started in a terminal outlives it (an SSH
 * connection that drops, `setsid`): writes to the closed terminal then fail
 * (EIO), which ended the daemon at its next log line. From then on its log
 * goes nowhere, and the daemon goes on banning.
 */
function streamWriter(stream: NodeJS.WriteStream): (s: string) => void {
  let gone = false;
  const leave = (e: unknown) => {
    if (gone) return;
    // Anything else (a broken pipe to a logger) ends the daemon as before: under systemd, to be restarted with its log.
    if (!isTerminalGone(e)) throw e;
    gone = true;
    detachTerminal();
  };
  stream.on('error', leave);
  return (s) => {
    if (gone) return;
    try {
      stream.write(s);
    } catch (e) {
      leave(e);
    }
  };
}

/** A log file written a turn at a time (BatchedAppend); what cannot be written goes to stderr. */
function fileWriter(path: string): (s: string) => void {
  const out = new BatchedAppend(path, { onResult: (err, text) => { if (err) process.stderr.write(text); } });
  return (s) => out.write(s);
}
