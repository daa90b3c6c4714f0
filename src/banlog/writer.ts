import { BatchedAppend } from '../util/batched-append.js';
import { formatBanLogLine, type BanLogEntry, type BanLogFormat } from './format.js';

/**
 * Appends ban-log lines, a burst in one write (BatchedAppend). A failing disk
 * is reported once, never thrown: banning goes on.
 */
export class BanLogWriter {
  private readonly out: BatchedAppend;
  private failing = false;

  constructor(
    readonly path: string,
    readonly format: BanLogFormat,
    onError: (message: string) => void,
    private readonly pid = process.pid,
  ) {
    this.out = new BatchedAppend(path, {
      mkdir: true,
      onResult: (err) => {
        if (err && !this.failing) onError(`cannot write the ban log ${path}: ${err.message} (bans go on; lines are dropped)`);
        else if (!err && this.failing) onError(`ban log ${path} is writable again`);
        this.failing = err !== null;
      },
    });
  }

  append(e: BanLogEntry): void {
    this.out.write(formatBanLogLine(e, this.format, this.pid) + '\n');
  }

  flush(): void {
    this.out.flush();
  }
}
