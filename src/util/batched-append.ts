import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Appends to a file opened per write (so logrotate needs no signal), with
 * everything written in one event-loop turn going out in one append: a burst
 * of 100,000 lines costs one open, not 100,000.
 */
export class BatchedAppend {
  private buffer = '';

  constructor(
    readonly path: string,
    private readonly o: { mkdir?: boolean; onResult: (error: Error | null, text: string) => void },
  ) {}

  write(text: string): void {
    if (this.buffer === '') setImmediate(() => this.flush());
    this.buffer += text;
  }

  flush(): void {
    if (this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    try {
      if (this.o.mkdir) mkdirSync(dirname(this.path), { recursive: true });
      appendFileSync(this.path, text);
      this.o.onResult(null, text);
    } catch (e) {
      this.o.onResult(e as Error, text);
    }
  }
}
