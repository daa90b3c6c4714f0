/**
 * SQLite failures that come from the disk or the file, not from bantop's own
 * SQL: a full disk, an I/O error, a read-only or vanished file, a lock held
 * too long. The daemon rides these out (bans stay enforced, writes are kept
 * and retried); anything else is a bug and is thrown on.
 */
const STORAGE = /^SQLITE_(?:FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|NOMEM|PROTOCOL|NOLFS)/;

export function isStorageError(e: unknown): e is Error & { code: string } {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && STORAGE.test(code);
}
