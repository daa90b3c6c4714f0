/** fail2ban's `dbfile = None`: no database. */
export function noDatabase(dbfile: string): boolean {
  return dbfile.trim().toLowerCase() === 'none';
}

/**
 * Where the store for `dbfile` lives: `None` keeps it in memory, as
 * `:memory:` does (the ban state and its history end with the process).
 */
export function storePath(dbfile: string): string {
  return noDatabase(dbfile) ? ':memory:' : dbfile;
}
