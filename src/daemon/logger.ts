import { fstatSync } from 'node:fs';
import { BatchedAppend } from '../util/batched-append.js';
import { detachTerminal, isTerminalGone } from '../util/terminal.js';

const LEVELS = ['CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'] as const;
/** syslog's priority of each level, in LEVELS' order (CRITICAL is crit, 2). */
const PRIORITIES = [2, 3, 4, 5, 6, 7];
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
  const fd = t === 'STDERR' || t === 'SYSTEMD-JOURNAL' || t === 'SYSLOG' ? 2 : t === 'STDOUT' ? 1 : null;
  const write = fd === null ? fileWriter(target) : streamWriter(fd === 2 ? process.stderr : process.stdout);
  const stamp = fd !== null ? () => '' : isoStamp();
  // To the journal, each line starts with its syslog priority, which journald takes as the entry's (systemd's
  // SyslogLevelPrefix): without it every line was priority 6, and `journalctl -u bantop -p warning` showed nothing.
  // The name is the journal's (SyslogIdentifier): the message starts at the level, as fail2ban's recidive filter
  // reads it after `bantop[pid]: ` with _daemon = bantop.
  const journal = fd !== null && isJournalStream(fd);
  const head = (i: number) => (journal ? `<${PRIORITIES[i]}>` : `${stamp()}bantop `);
  return {
    log(lv, msg) {
      const i = LEVELS.indexOf(lv);
      if (i > max) return;
      write(`${head(i)}${lv.padEnd(7)} ${msg}\n`);
    },
  };
}

/**
 * Now as an ISO time and a space, made once per millisecond: `unban --all` of
 * a million writes two lines per address, and formatting a Date for each was
 * a tenth of its time.
 */
export function isoStamp(now: () => number = Date.now): () => string {
  let at = Number.NaN;
  let text = '';
  return () => {
    const t = now();
    if (t !== at) {
      at = t;
      text = `${new Date(t).toISOString()} `;
    }
    return text;
  };
}

/**
 * Whether file descriptor `fd` is connected to the journal: systemd sets
 * JOURNAL_STREAM to the device and inode of the stream it gives a service, for
 * the service to compare with its own descriptor (systemd.exec(5)).
 */
export function isJournalStream(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const m = /^(\d+):(\d+)$/.exec(env['JOURNAL_STREAM'] ?? '');
  if (m === null) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return String(st.dev) === m[1] && String(st.ino) === m[2];
  } catch {
    return false;
  }
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
