/**
 * What fail2ban's `<ipmatches>`, `<ipjailmatches>`, `<ipfailures>` and
 * `<ipjailfailures>` say about an address: its bans in the database (every
 * jail's, or one jail's) merged into one. The failures add up; the log lines
 * are the last `dbmaxmatches` of them all, oldest first, as fail2ban keeps
 * at most that many per ban and fills a merge from the newest ban back.
 */
export interface PastBan {
  failures: number;
  /** The ban's log lines, oldest first. */
  lines: readonly string[];
}

export interface MergedBans {
  failures: number;
  matches: readonly string[];
}

/** `bans`: oldest first. */
export function mergeBans(bans: readonly PastBan[], maxMatches: number): MergedBans {
  let failures = 0;
  const lines: string[] = [];
  for (const b of bans) {
    failures += b.failures;
    lines.push(...b.lines);
  }
  // dbmaxmatches = 0 keeps no lines at all (fail2ban drops them when it stores the ban).
  return { failures, matches: maxMatches > 0 ? lines.slice(-maxMatches) : [] };
}
