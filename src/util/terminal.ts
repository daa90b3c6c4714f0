import { closeSync, openSync } from 'node:fs';
import { isatty } from 'node:tty';

/** The standard descriptors that were a terminal when the process started. */
const ttyFds = [0, 1, 2].filter((fd) => isatty(fd));

/**
 * The terminal is gone (its pty was closed: an SSH connection that dropped;
 * reads and writes on it fail with EIO). The standard descriptors that were
 * it are pointed at /dev/null: what is still written there goes nowhere
 * instead of failing, and Node's exit, which resets a terminal it started
 * with and aborts when that fails, passes over them (it checks that the
 * descriptor is still the same file).
 */
export function detachTerminal(): void {
  for (const fd of ttyFds.splice(0)) {
    try {
      closeSync(fd);
      // open() takes the lowest free descriptor: the one just closed.
      const got = openSync('/dev/null', fd === 0 ? 'r' : 'w');
      if (got !== fd) closeSync(got);
    } catch {
      // Left as it is: the exit may still abort, nothing is lost by it.
    }
  }
}

/** An error of a read or write on a terminal that is no more (EIO; ENXIO where its device went). */
export function isTerminalGone(e: unknown): boolean {
  const { code, syscall } = (e ?? {}) as NodeJS.ErrnoException;
  return (syscall === 'write' || syscall === 'read') && (code === 'EIO' || code === 'ENXIO');
}
