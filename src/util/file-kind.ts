import { statSync, type Stats } from 'node:fs';

/** What a path that is not a regular file is, for the operator ("… is a directory, not a log file"). */
export function notFileKind(st: Stats): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket'
    : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'a special file';
}

/** A path's stat, or undefined where it cannot be had (absent, a symlink loop, no access), as existsSync sees it. */
export function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
