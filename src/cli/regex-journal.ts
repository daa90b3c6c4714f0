import { parseNameWithArgs } from '../config/args.js';
import { spawnLines } from '../proc/run.js';
import { journalSelectArgs, parseJournalLine, renderJournalEntry } from '../source/journal-entry.js';
import { journalMatchArgs } from '../source/journal.js';
import { UserError } from '../util/errors.js';

/** LOG naming the journal, as fail2ban-regex takes it: `systemd-journal`, or with the systemd backend's options in brackets (a bad bracket is an error, not a log line). */
const JOURNAL_LOG = /^systemd-journal(?:$|\[)/;

/**
 * journalctl's arguments for the journals LOG names
 * (`systemd-journal[journalfiles=/var/log/journal/x/system.journal]`), or
 * null when LOG does not name the journal.
 */
export function journalLogArgs(log: string): string[] | null {
  if (!JOURNAL_LOG.test(log)) return null;
  let args: Record<string, string>;
  try {
    args = parseNameWithArgs(log).args;
  } catch (e) {
    throw new UserError(`LOG ${log}: ${(e as Error).message}`, { hint: 'write it as systemd-journal[journalfiles=FILE,journalpath=DIR]' });
  }
  try {
    return journalSelectArgs(args);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`LOG ${log}: ${e.message}`, { hint: e.hint });
    throw e;
  }
}

/**
 * Every entry of the journals `select` picks that `match` (the filter's
 * journalmatch) lets through, oldest first, each as the line fail2ban's
 * systemd backend makes of it, with the entry's time in ms. Entries that are
 * not journal JSON are counted, not fed.
 */
export async function readJournal(select: string[], match: string[], onLine: (line: string, time: number) => void): Promise<{ badEntries: number }> {
  let badEntries = 0;
  const p = spawnLines('journalctl', ['-o', 'json', '--no-pager', ...select, ...journalMatchArgs(match)], (text) => {
    const entry = parseJournalLine(text);
    if (entry === null) {
      badEntries++;
      return;
    }
    const { line, time } = renderJournalEntry(entry);
    onLine(line, time);
  });
  const { exitCode, stderr } = await p.done;
  if (exitCode !== 0) {
    throw new UserError(`journalctl ${select.join(' ')} failed (exit ${exitCode})${stderr.trim() ? `: ${stderr.trim()}` : ''}`, {
      hint: 'check journalfiles and journalpath, and that this user may read the journal (root, or the systemd-journal group)',
    });
  }
  return { badEntries };
}
