import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterFromArgument } from '../../src/cli/filter-argument.js';
import { runRegex } from '../../src/cli/regex.js';
import { isSkipped } from '../../src/cli/regex-scan.js';
import { fail2banRegex, haveFail2ban } from '../support/fail2ban-regex.js';

const SHIPPED = new URL('../../assets/config', import.meta.url).pathname;

describe('bantop regex: lines fail2ban-regex leaves out', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-regex-scan-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('knows comments and empty lines (also a bare \\r), and nothing else', () => {
    expect(['', '#', '# failJSON: {}', '\r', '\r\r'].map(isSkipped)).toEqual([true, true, true, true, true]);
    expect([' # indented', ' ', 'x#', 'Nov 21 10:00:00 h sshd[1]: # not a comment'].map(isSkipped)).toEqual([false, false, false, false]);
  });

  it('neither tests nor counts comments and empty lines, and numbers matches by their line in the file', () => {
    const path = join(dir, 'commented.log');
    const failure = 'Nov 21 10:00:00 web1 sshd[7]: Failed password for root from 192.0.2.7 port 22 ssh2';
    writeFileSync(path, ['# failJSON: { "match": true }', failure, '', '\r', '  # indented: a line', failure].join('\n') + '\n');
    const { spec } = filterFromArgument(SHIPPED, 'sshd');
    const r = runRegex(spec, path);
    expect({ lines: r.lines, matched: r.matched, missed: r.missed }).toEqual({ lines: 3, matched: 2, missed: 1 });
    expect(r.matches.map((m) => m.line)).toEqual([2, 6]);
    if (haveFail2ban) {
      const theirs = fail2banRegex(path, 'sshd');
      expect({ lines: r.lines, matched: r.matched, missed: r.missed }).toEqual({ lines: theirs.lines, matched: theirs.matched, missed: theirs.missed });
    }
  });
});
