import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalSelectArgs } from '../../src/source/journal-entry.js';
import { JournalSource, journalMatchArgs } from '../../src/source/journal.js';
import { MemoryPositionStore, type SourceLine } from '../../src/source/types.js';
import { systemClock } from '../../src/util/clock.js';
import { appendJournal, journalSkipReason } from '../support/journal-file.js';
import { skipNote } from '../support/skip-note.js';
import { waitFor } from '../support/wait.js';

const skip = journalSkipReason;

describe('journalMatchArgs', () => {
  it('splits fail2ban journalmatch into journalctl terms and refuses anything else', () => {
    expect(journalMatchArgs(['_SYSTEMD_UNIT=sshd.service + _COMM=sshd'])).toEqual(['_SYSTEMD_UNIT=sshd.service', '+', '_COMM=sshd']);
    expect(() => journalMatchArgs(['--since=yesterday'])).toThrow(/bad journalmatch term/);
    expect(() => journalMatchArgs(['; rm -rf /'])).toThrow(/bad journalmatch term/);
  });
});

describe.skipIf(skip !== null)(`JournalSource with a real journal file${skipNote(skip)}`, () => {
  let dir: string;
  let journal: string;
  let n = 0;

  // journalctl -f follows the file as entries are appended.
  function append(entries: Array<{ unit: string; comm: string; msg: string }>): void {
    appendJournal(journal, entries.map((e) => {
      n++;
      return { __REALTIME_TIMESTAMP: String(1782060469000000 + n * 1_000_000), _HOSTNAME: 'web1', SYSLOG_IDENTIFIER: e.comm, _PID: '4242',
        _SYSTEMD_UNIT: e.unit, _COMM: e.comm, MESSAGE: e.msg };
    }));
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-journal-'));
    journal = join(dir, 'test.journal');
    append([{ unit: 'sshd.service', comm: 'sshd', msg: 'Failed password for root from 203.0.113.1 port 1 ssh2' }]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('follows matching entries from the end, renders them like fail2ban, and resumes after its cursor', async () => {
    const positions = new MemoryPositionStore();
    const got: SourceLine[] = [];
    const make = () => new JournalSource({
      jail: 'sshd', journalmatch: ['_SYSTEMD_UNIT=sshd.service + _COMM=sshd'], positions, sink: (l) => got.push(...l),
      clock: systemClock, select: journalSelectArgs({ journalfiles: journal }),
    });
    const a = make();
    await a.start();
    await new Promise((r) => setTimeout(r, 700)); // journalctl needs a moment to reach the end
    append([
      { unit: 'sshd.service', comm: 'sshd', msg: 'Failed password for root from 203.0.113.2 port 1 ssh2' },
      { unit: 'cron.service', comm: 'cron', msg: 'not for us' },
    ]);
    await waitFor(() => got.length === 1, 8000, 'the first journal entry');
    // Stamped: the entry's time is the line's (no date is looked for in its text).
    expect(got[0]).toMatchObject({ jail: 'sshd', line: 'web1 sshd[4242]: Failed password for root from 203.0.113.2 port 1 ssh2', origin: 'journal', stamped: true });
    expect(got[0]!.time).toBe(Math.floor((1782060469000000 + (n - 1) * 1_000_000) / 1000));
    await a.stop();

    append([{ unit: 'sshd.service', comm: 'sshd', msg: 'Failed password for root from 203.0.113.3 port 1 ssh2' }]);
    const b = make();
    await b.start();
    await waitFor(() => got.length === 2, 8000, 'the entry written while stopped');
    expect(got.map((g) => g.line.split(' from ')[1]?.split(' ')[0])).toEqual(['203.0.113.2', '203.0.113.3']);
    // From the cursor on, entries are read back until one is as new as the start; from there on all are live.
    const entry = (ip: string, us: number) => ({ __REALTIME_TIMESTAMP: String(us), _HOSTNAME: 'web1', SYSLOG_IDENTIFIER: 'sshd', _PID: '4242',
      _SYSTEMD_UNIT: 'sshd.service', _COMM: 'sshd', MESSAGE: `Failed password for root from ${ip} port 1 ssh2` });
    appendJournal(journal, [entry('203.0.113.4', Date.now() * 1000), entry('203.0.113.5', 1782060469000000)]);
    await waitFor(() => got.length === 4, 8000, 'a new entry and an old one after it');
    expect(got.map((g) => g.backlog ?? false)).toEqual([false, true, false, false]);
    await b.stop();
  });
});
