import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatBanLogLine, type BanLogEntry, type BanLogFormat } from './format.js';

/**
 * Appends ban-log lines. The file is opened per write (O_APPEND), so a
 * logrotate `create` needs no signal; lines of one event-loop turn go out in
 * one write. A failing disk is reported, never thrown: banning goes on.
 */
export class BanLogWriter {
  private buffer = '';
  private scheduled = false;
  private failing = false;

  constructor(
    readonly path: string,
    readonly format: BanLogFormat,
    private readonly onError: (message: string) => void,
    private readonly pid = process.pid,
  ) {}

  append(e: BanLogEntry): void {
    this.buffer += formatBanLogLine(e, this.format, this.pid) + '\n';
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      appendFileSync(this.path, text);
      if (this.failing) this.onError(`ban log ${this.path} is writable again`);
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.onError(`cannot write the ban log ${this.path}: ${(err as Error).message} (bans go on; lines are dropped)`);
      this.failing = true;
    }
  }
}
