import type { Stats } from 'node:fs';

/** What a path that is not a regular file is, for the operator ("… is a directory, not a log file"). */
export function notFileKind(st: Stats): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket'
    : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'a special file';
}
