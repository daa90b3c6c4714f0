/**
 * Split a text stream (a socket, a child's stdout) into lines; blank lines are
 * skipped. Only each new chunk is searched for a
 * newline, so a multi-megabyte request (a blocklist import) costs linear time.
 * `onOverflow` fires once when a line grows past `maxLine` without ending.
 */
export function onLines(conn: NodeJS.ReadableStream, onLine: (line: string) => void, o: { maxLine?: number; onOverflow?: () => void } = {}): void {
  let parts: string[] = [];
  let size = 0;
  let overflowed = false;
  conn.setEncoding('utf8');
  conn.on('data', (chunk: string) => {
    // After an overflow the stream cannot be resynchronised: what follows is dropped, not buffered.
    if (overflowed) return;
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf('\n', start)) >= 0) {
      parts.push(chunk.slice(start, nl));
      const line = parts.join('');
      parts = [];
      size = 0;
      start = nl + 1;
      if (line.trim() !== '') onLine(line);
    }
    if (start < chunk.length) {
      parts.push(chunk.slice(start));
      size += chunk.length - start;
      if (o.maxLine !== undefined && size > o.maxLine) {
        parts = [];
        size = 0;
        overflowed = true;
        o.onOverflow?.();
      }
    }
  });
}
