import { z } from 'zod';
import { UserError } from '../util/errors.js';

/**
 * A journal entry as `journalctl -o json` prints it, and the log line
 * fail2ban's systemd backend makes of it. The daemon's journal source and
 * `bantop regex systemd-journal` both read entries through here, so a filter
 * sees the same line in either.
 */

/** journalctl prints a value that is not valid text as its bytes, and a field an entry holds more than once as an array. */
const Value = z.union([z.string(), z.array(z.number())]);
const Field = z.union([Value, z.array(z.union([Value, z.null()])), z.null()]).optional();
const Micros = z.string().regex(/^\d+$/);

/** The fields bantop uses; anything else in an entry is ignored. */
export const JournalEntrySchema = z.object({
  __CURSOR: z.string(),
  __REALTIME_TIMESTAMP: Micros,
  _SOURCE_REALTIME_TIMESTAMP: Micros.optional(),
  __MONOTONIC_TIMESTAMP: Micros.optional(),
  _SOURCE_MONOTONIC_TIMESTAMP: Micros.optional(),
  MESSAGE: Field,
  _HOSTNAME: Field,
  SYSLOG_IDENTIFIER: Field,
  _COMM: Field,
  SYSLOG_PID: Field,
  _PID: Field,
});
export type JournalEntry = z.infer<typeof JournalEntrySchema>;

/** One line of `journalctl -o json`: the entry, or null when it is not one (counted by the caller). */
export function parseJournalLine(text: string): JournalEntry | null {
  try {
    const parsed = JournalEntrySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function text(v: z.infer<typeof Field>): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (v.length === 0 || typeof v[0] === 'number') return Buffer.from(v as number[]).toString('utf8');
  // A field given more than once: its values joined by spaces, as fail2ban joins a repeated MESSAGE.
  return (v as Array<z.infer<typeof Value> | null>).map((x) => text(x)).join(' ');
}

/** A pid as fail2ban writes it: a number in decimal (`0x1f` is 31), anything else as it is. */
function pidText(pid: string): string {
  if (/^(?:0|[1-9]\d*)$/.test(pid)) return pid;
  if (/^0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)$/.test(pid)) return String(Number(pid));
  return pid;
}

/**
 * The entry as fail2ban's systemd backend renders it (formatJournalEntry):
 * host, `ident[pid]:` (SYSLOG_PID before _PID), for the kernel its uptime
 * stamp, then the message, each left out when empty; with the entry's own
 * time in ms. A message of several lines stays one line, its newlines in it,
 * as in fail2ban: cut into lines, each would carry the entry's host and
 * ident, and a program that logs user text with a newline could forge a line
 * that looks like sshd's. A filter's `$` and `.` stop at the newline, so such
 * an entry matches only where its first line alone would.
 */
export function renderJournalEntry(e: JournalEntry): { line: string; time: number } {
  const prefix: string[] = [];
  const host = text(e._HOSTNAME);
  if (host !== '') prefix.push(host);
  const ident = text(e.SYSLOG_IDENTIFIER) || text(e._COMM);
  if (ident !== '') {
    const pid = text(e.SYSLOG_PID) || text(e._PID);
    const tag = `${ident}${pid !== '' ? `[${pidText(pid)}]` : ''}:`;
    prefix.push(tag);
    const mono = e._SOURCE_MONOTONIC_TIMESTAMP ?? e.__MONOTONIC_TIMESTAMP;
    if (tag === 'kernel:' && mono !== undefined) prefix.push(`[${(Number(mono) / 1e6).toFixed(6).padStart(12)}]`);
  }
  const time = Math.floor(Number(e._SOURCE_REALTIME_TIMESTAMP ?? e.__REALTIME_TIMESTAMP) / 1000);
  return { line: [...prefix, text(e.MESSAGE)].join(' '), time };
}

/** sd-journal's open flags that journalctl can ask for: SD_JOURNAL_LOCAL_ONLY (its default), SYSTEM, CURRENT_USER. */
const LOCAL_ONLY = 1;
const SYSTEM = 4;
const CURRENT_USER = 8;
const JOURNAL_ARGS = ['journalfiles', 'journalpath', 'journalflags', 'namespace'];

/**
 * journalctl's arguments for the journals fail2ban's systemd backend options
 * pick (`systemd[journalfiles=…, journalpath=…, journalflags=…, namespace=…]`).
 * Without files or a path, fail2ban reads the system journal only (flags 4);
 * journalctl expands the globs in `journalfiles` itself.
 */
export function journalSelectArgs(options: Record<string, string>): string[] {
  for (const k of Object.keys(options)) {
    if (!JOURNAL_ARGS.includes(k)) throw new UserError(`the systemd journal has no option "${k}"`, { hint: `use ${JOURNAL_ARGS.join(', ')}` });
  }
  const files = (options['journalfiles'] ?? '').split(/[\s,]+/).filter(Boolean);
  const path = options['journalpath']?.trim() ?? '';
  const out = [...files.map((f) => `--file=${f}`), ...(path !== '' ? [`--directory=${path}`] : [])];
  if (options['namespace'] !== undefined) {
    // journalctl takes `*` (every namespace) and `+name` (name and the default one) too.
    if (!/^(?:\*|\+?\w[\w.-]*)$/.test(options['namespace'])) {
      throw new UserError(`namespace "${options['namespace']}" is not a journal namespace name`, { hint: 'a name of letters, digits, "_", "-" and ".", or "*", or "+name"' });
    }
    out.push(`--namespace=${options['namespace']}`);
  }
  const flagsText = options['journalflags'];
  const flags = flagsText === undefined ? (out.length === 0 ? SYSTEM : 0) : /^\d+$/.test(flagsText) ? Number(flagsText) : Number.NaN;
  if (!Number.isInteger(flags) || (flags & ~(LOCAL_ONLY | SYSTEM | CURRENT_USER)) !== 0) {
    throw new UserError(`journalflags "${flagsText}" is not one bantop can pass to journalctl`, {
      hint: 'use a sum of 1 (local journals only, journalctl\'s default), 4 (system journals) and 8 (the current user\'s)',
    });
  }
  if (flags & SYSTEM) out.push('--system');
  if (flags & CURRENT_USER) out.push('--user');
  return out;
}
