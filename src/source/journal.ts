import { spawnLines, type LineProcess } from '../proc/run.js';
import type { Clock } from '../util/clock.js';
import { parseJournalLine, renderJournalEntry } from './journal-entry.js';
import type { LineSink, LogSource, PositionStore } from './types.js';

export interface JournalOptions {
  jail: string;
  /** fail2ban's journalmatch: `_SYSTEMD_UNIT=sshd.service + _COMM=sshd`. */
  journalmatch: string[];
  positions: PositionStore;
  sink: LineSink;
  clock: Clock;
  /** journalctl's arguments for the journals to read (journalSelectArgs(): `backend = systemd[journalfiles=…]` …). */
  select: string[];
  /** Restart delay when journalctl exits on its own, ms. */
  restartMs?: number;
  command?: string;
}

/** Split a journalmatch into journalctl arguments, checking each term. */
export function journalMatchArgs(match: string[]): string[] {
  const terms = match.join(' ').split(/\s+/).filter(Boolean);
  for (const t of terms) {
    if (t !== '+' && !/^[A-Z0-9_]+=.*$/.test(t)) throw new Error(`bad journalmatch term "${t}" (expected FIELD=value or +)`);
  }
  return terms;
}

/**
 * Follows the systemd journal with `journalctl -f -o json`, starting after the
 * saved cursor (or at the end the first time). Each entry becomes a line the
 * way fail2ban's systemd backend renders it (journal-entry.ts), with the
 * entry's own time.
 */
export class JournalSource implements LogSource {
  private proc: LineProcess | undefined;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Entries that were not valid JSON or lacked required fields. */
  badEntries = 0;
  private readonly key: string;
  /** Entries older than this are read back (SourceLine.backlog); -Infinity once one was not. */
  private backlogBefore = -Infinity;

  constructor(private readonly o: JournalOptions) {
    this.key = `journal:${o.jail}`;
    journalMatchArgs(o.journalmatch);
  }

  async start(): Promise<void> {
    this.spawn();
  }

  private spawn(): void {
    const cursor = this.o.positions.getCursor(this.key);
    // After the cursor, entries are read back until one is about as new as the start (fail2ban's systemd backend
    // goes into operation mode there, within a second). Without one, journalctl gives new entries only.
    this.backlogBefore = cursor ? this.o.clock.now() - 1000 : -Infinity;
    const args = ['-f', '-o', 'json', '--no-pager'];
    if (cursor) args.push(`--after-cursor=${cursor}`);
    else args.push('-n', '0');
    args.push(...this.o.select, ...journalMatchArgs(this.o.journalmatch));
    this.proc = spawnLines(this.o.command ?? 'journalctl', args, (l) => this.onLine(l));
    void this.proc.done.then(() => {
      if (this.stopped) return;
      this.restartTimer = setTimeout(() => this.spawn(), this.o.restartMs ?? 1000);
      this.restartTimer.unref();
    });
  }

  private onLine(text: string): void {
    const entry = parseJournalLine(text);
    if (entry === null) {
      this.badEntries++;
      return;
    }
    const { line, time } = renderJournalEntry(entry);
    if (time >= this.backlogBefore) this.backlogBefore = -Infinity;
    this.o.sink([time < this.backlogBefore ? { jail: this.o.jail, line, time, origin: 'journal', stamped: true, backlog: true } : { jail: this.o.jail, line, time, origin: 'journal', stamped: true }]);
    this.o.positions.setCursor(this.key, entry.__CURSOR);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.proc) {
      this.proc.stop();
      await this.proc.done;
    }
  }
}
