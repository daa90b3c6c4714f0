import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runIgnoreCommand } from '../../src/runtime/ignore-command.js';
import { tempDirEach } from '../support/temp-dir.js';

const tmp = tempDirEach('ignorecmd');

describe('runIgnoreCommand', () => {
  it('says ignore on exit 0, count on 1, and counts (with a note) on anything else', async () => {
    const cmd = join(tmp(), 'cmd');
    writeFileSync(cmd, '#!/bin/sh\ncase "$1" in 192.0.2.1) exit 0;; 192.0.2.2) exit 1;; *) echo broken >&2; exit 3;; esac\n', { mode: 0o755 });
    const notes: string[] = [];
    const ask = (ip: string) => runIgnoreCommand(`${cmd} <ip>`, ip, { line: 'l', fields: {}, now: Date.now() }, (m) => notes.push(m));
    expect(await Promise.all([ask('192.0.2.1'), ask('192.0.2.2'), ask('192.0.2.3')])).toEqual([true, false, false]);
    expect(notes).toEqual(['ignorecommand for 192.0.2.3 failed (broken); the failure counts']);
  });

  it('runs at most 4 commands at once, however many addresses ask', async () => {
    const log = join(tmp(), 'log');
    const cmd = join(tmp(), 'slow');
    writeFileSync(cmd, `#!/bin/sh\necho "+ $1" >> ${log}\nsleep 0.2\necho "- $1" >> ${log}\nexit 1\n`, { mode: 0o755 });
    const ips = Array.from({ length: 12 }, (_, i) => `198.51.100.${i + 1}`);
    await Promise.all(ips.map((ip) => runIgnoreCommand(`${cmd} <ip>`, ip, { line: 'l', fields: {}, now: Date.now() })));
    let now = 0;
    let most = 0;
    const events = readFileSync(log, 'utf8').trim().split('\n');
    for (const e of events) {
      now += e.startsWith('+') ? 1 : -1;
      most = Math.max(most, now);
    }
    expect(events).toHaveLength(24);
    expect(most).toBe(4);
  });
});
