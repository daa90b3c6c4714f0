import { z } from 'zod';
import { spawnLines, type LineProcess } from '../proc/run.js';
import type { Clock } from '../util/clock.js';
import type { LineSink, LogSource, PositionStore } from './types.js';

/** The fields of `journalctl -o json` we use; anything else in an entry is ignored. */
const EntrySchema = z.object({
  __CURSOR: z.string(),
  __REALTIME_TIMESTAMP: z.string().regex(/^\d+$/),
  _SOURCE_REALTIME_TIMESTAMP: z.string().regex(/^\d+$/).optional(),
  MESSAGE: z.union([z.string(), z.array(z.number()), z.null()]).optional(),
  _HOSTNAME: z.string().optional(),
  SYSLOG_IDENTIFIER: z.string().optional(),
  _COMM: z.string().optional(),
  _PID: z.string().optional(),
  _TRANSPORT: z.string().optional(),
});

export interface JournalOptions {
  jail: string;
  /** fail2ban's journalmatch: `_SYSTEMD_UNIT=sshd.service + _COMM=sshd`. */
  journalmatch: string[];
  positions: PositionStore;
  sink: LineSink;
  clock: Clock;
  /** `backend = systemd[journalfiles=…]` / `[journalpath=…]`. */
  files?: string[];
  directory?: string;
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
 * way fail2ban's systemd backend renders it: `host ident[pid]: message`, with
 * the entry's own time.
 */
export class JournalSource implements LogSource {
  private proc: LineProcess | undefined;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Entries that were not valid JSON or lacked required fields. */
  badEntries = 0;
  private readonly key: string;

  constructor(private readonly o: JournalOptions) {
    this.key = `journal:${o.jail}`;
    journalMatchArgs(o.journalmatch);
  }

  async start(): Promise<void> {
    this.spawn();
  }

  private spawn(): void {
    const cursor = this.o.positions.getCursor(this.key);
    const args = ['-f', '-o', 'json', '--no-pager'];
    if (cursor) args.push(`--after-cursor=${cursor}`);
    else args.push('-n', '0');
    for (const f of this.o.files ?? []) args.push(`--file=${f}`);
    if (this.o.directory) args.push(`--directory=${this.o.directory}`);
    args.push(...journalMatchArgs(this.o.journalmatch));
    this.proc = spawnLines(this.o.command ?? 'journalctl', args, (l) => this.onLine(l));
    void this.proc.done.then(() => {
      if (this.stopped) return;
      this.restartTimer = setTimeout(() => this.spawn(), this.o.restartMs ?? 1000);
      this.restartTimer.unref();
    });
  }

  private onLine(text: string): void {
    let entry: z.infer<typeof EntrySchema>;
    try {
      const parsed = EntrySchema.safeParse(JSON.parse(text));
      if (!parsed.success) {
        this.badEntries++;
        return;
      }
      entry = parsed.data;
    } catch {
      this.badEntries++;
      return;
    }
    const msg = entry.MESSAGE;
    const message = typeof msg === 'string' ? msg : Array.isArray(msg) ? Buffer.from(msg).toString('utf8') : '';
    const ident = entry.SYSLOG_IDENTIFIER ?? entry._COMM ?? '';
    const host = entry._HOSTNAME ?? '';
    const tag = entry._TRANSPORT === 'kernel' ? 'kernel:' : `${ident}${entry._PID ? `[${entry._PID}]` : ''}:`;
    const micros = entry._SOURCE_REALTIME_TIMESTAMP ?? entry.__REALTIME_TIMESTAMP;
    const time = Math.floor(Number(micros) / 1000);
    for (const part of message.split('\n')) {
      this.o.sink([{ jail: this.o.jail, line: `${host} ${tag} ${part}`, time, origin: 'journal' }]);
    }
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
