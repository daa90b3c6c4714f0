import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REMOTE = '/lib/systemd/systemd-journal-remote';

/** Why tests that need a real journal file are skipped; null when journalctl and systemd-journal-remote are here. */
export const journalSkipReason = existsSync(REMOTE) && existsSync('/usr/bin/journalctl')
  ? null
  : 'journalctl or systemd-journal-remote is not installed: apt-get install systemd-journal-remote';

/** Journal fields of one entry; __REALTIME_TIMESTAMP (µs) is required, the rest is as journald would store it. */
export type JournalFields = Record<string, string> & { __REALTIME_TIMESTAMP: string };

let written = 0;

/**
 * Appends entries to a real journal file (created if need be), written by
 * systemd-journal-remote from journal export format, as journald would have
 * stored them: journalctl reads it with --file.
 */
export function appendJournal(journal: string, entries: JournalFields[]): void {
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replace(/-/g, '');
  const parts: Buffer[] = [];
  for (const e of entries) {
    written++;
    const fields: Record<string, string> = { __CURSOR: `c${written}`, __MONOTONIC_TIMESTAMP: '0', _BOOT_ID: boot, ...e };
    for (const [k, v] of Object.entries(fields)) {
      // The export format's binary form (name, newline, 64-bit little-endian length, data) for a value of several lines.
      if (v.includes('\n')) {
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(Buffer.byteLength(v)));
        parts.push(Buffer.from(`${k}\n`), len, Buffer.from(v), Buffer.from('\n'));
      } else {
        parts.push(Buffer.from(`${k}=${v}\n`));
      }
    }
    parts.push(Buffer.from('\n'));
  }
  const dir = mkdtempSync(join(tmpdir(), 'bantop-export-'));
  try {
    const f = join(dir, 'entries.export');
    writeFileSync(f, Buffer.concat(parts));
    execFileSync(REMOTE, ['-o', journal, f], { stdio: 'ignore' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
