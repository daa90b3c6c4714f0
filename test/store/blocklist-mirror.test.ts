import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlocklistMirror, blocklistLine, blocklistReason } from '../../src/store/blocklist-mirror.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'bantop-mirror-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const T = new Date(2026, 10, 21, 10, 0, 0).getTime();

describe('BlocklistMirror', () => {
  it('reads back the reason of a line it wrote, not its stamp, so rewrites never nest', () => {
    expect(blocklistReason('bantop 2026-11-21 12:51:15 permanent (bantop 2026-11-21 12:41:24 permanent (ssh brute force))')).toBe('ssh brute force');
    expect(blocklistReason('found in the honeypot (port 23)')).toBe('found in the honeypot (port 23)');
    const line = blocklistLine({ ip: '203.0.113.9', jail: 'sshd', bannedAt: 0, source: 'filter', reason: '5 failures' });
    expect(blocklistReason(line.slice(line.indexOf('#') + 1))).toBe('5 failures');
  });

  it('writes one line per address and jail, in the issue\'s format, atomically', () => {
    const m = new BlocklistMirror(join(dir, 'sub', 'blocklist'));
    m.write([
      { ip: '203.0.113.9', jail: 'sshd', bannedAt: T, source: 'escalation', reason: '5 bans in 30d' },
      { ip: '198.51.100.1', jail: 'manual', bannedAt: T, source: 'manual' },
      { ip: '203.0.113.9', jail: 'sshd', bannedAt: T, source: 'escalation' },
    ]);
    const lines = readFileSync(m.path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual([
      '203.0.113.9,sshd  # bantop 2026-11-21 10:00:00 permanent (5 bans in 30d)',
      '198.51.100.1,manual  # bantop 2026-11-21 10:00:00 permanent (manual)',
    ]);
  });

  it('reads hand edits: duplicates collapse, no jail means the default jail, bad lines are reported by number and kept as comments', () => {
    const m = new BlocklistMirror(join(dir, 'blocklist'));
    m.write([{ ip: '198.51.100.1', jail: 'manual', bannedAt: T, source: 'manual' }, { ip: '198.51.100.2', jail: 'manual', bannedAt: T, source: 'manual' }]);
    expect(m.unchanged()).toBe(true);
    writeFileSync(m.path, '198.51.100.1,manual\n203.0.113.5\n203.0.113.5,manual  # again\n2001:db8::/64,sshd\nnonsense,sshd\n');
    const r = m.read('manual')!;
    expect(r.entries.map((e) => `${e.ip},${e.jail}`)).toEqual(['198.51.100.1,manual', '203.0.113.5,manual', '2001:db8::/64,sshd']);
    expect(r.problems).toEqual([`${m.path}:line 5 [ip]: "nonsense" is not an IP address or CIDR`]);
    expect(m.removedBy(r.entries)).toEqual([{ ip: '198.51.100.2', jail: 'manual' }]);
    m.write(r.entries.map((e) => ({ ...e, bannedAt: T, source: 'import' })));
    expect(readFileSync(m.path, 'utf8')).toContain('# bantop skipped line 5 [ip]: "nonsense" is not an IP address or CIDR');
    expect(new BlocklistMirror(join(dir, 'none')).read('manual')).toBeNull();
  });

  it('appends a new permanent ban as one line, rewrites only for a removal, and tells its own writes from an edit', () => {
    const m = new BlocklistMirror(join(dir, 'blocklist'));
    const ban = (ip: string) => ({ ip, jail: 'manual', bannedAt: T, source: 'manual' });
    m.write(Array.from({ length: 1000 }, (_, i) => ban(`10.0.${i >> 8}.${i & 255}`)));
    const inode = statSync(m.path).ino;
    m.apply([{ op: 'add', ban: ban('10.9.0.1') }, { op: 'add', ban: ban('10.0.0.1') }]);
    expect(statSync(m.path).ino).toBe(inode); // appended in place
    expect(m.unchanged()).toBe(true);
    const body = () => readFileSync(m.path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(body()).toHaveLength(1001);
    expect(body().at(-1)).toMatch(/^10\.9\.0\.1,manual /);
    m.apply([{ op: 'add', ban: ban('10.9.0.2') }, { op: 'del', ip: '10.9.0.1', jail: 'manual' }, { op: 'del', ip: '192.0.2.1', jail: 'manual' }]);
    expect(statSync(m.path).ino).not.toBe(inode); // rewritten, atomically
    expect(body()).toHaveLength(1001);
    expect(body().some((l) => l.startsWith('10.9.0.1,'))).toBe(false);
    expect(m.unchanged()).toBe(true);
    appendFileSync(m.path, '203.0.113.7\n');
    expect(m.unchanged()).toBe(false);
  });

  it('leaves the file alone for a change that is not in it (a timed ban ending), an edit the watch has not taken in included', () => {
    const m = new BlocklistMirror(join(dir, 'blocklist'));
    m.write([{ ip: '198.51.100.1', jail: 'manual', bannedAt: T, source: 'manual' }]);
    const stamp = () => { const st = statSync(m.path); return [st.ino, st.mtimeMs, st.size]; };
    const before = stamp();
    m.apply([{ op: 'del', ip: '203.0.113.9', jail: 'sshd' }]);
    expect(stamp()).toEqual(before);
    // The operator has just emptied the list; the watch has not fired yet. A timed ban ends meanwhile.
    writeFileSync(m.path, '# nothing here\n');
    m.apply([{ op: 'del', ip: '203.0.113.9', jail: 'sshd' }]);
    expect(readFileSync(m.path, 'utf8')).toBe('# nothing here\n');
    expect(m.removedBy(m.read('manual')!.entries)).toEqual([{ ip: '198.51.100.1', jail: 'manual' }]);
  });

  it('keeps an edit the watch has not taken in yet: its changes go into the edited text, and the edit still reads as one', () => {
    const m = new BlocklistMirror(join(dir, 'blocklist'));
    const ban = (ip: string) => ({ ip, jail: 'manual', bannedAt: T, source: 'manual' });
    m.write([ban('198.51.100.1'), ban('198.51.100.2'), ban('198.51.100.3')]);
    // The operator removes .2 and adds .9 (a new file, renamed over: as editors and sed -i write).
    writeFileSync(`${m.path}.new`, readFileSync(m.path, 'utf8').split('\n').filter((l) => !l.startsWith('198.51.100.2,')).join('\n') + '198.51.100.9  # by hand\n');
    renameSync(`${m.path}.new`, m.path);
    // Before the watch fires, bantop lifts .3 and adds .4.
    m.apply([{ op: 'del', ip: '198.51.100.3', jail: 'manual' }, { op: 'add', ban: ban('198.51.100.4') }]);
    const r = m.read('manual')!;
    expect(r.entries.map((e) => e.ip)).toEqual(['198.51.100.1', '198.51.100.9', '198.51.100.4']);
    expect(readFileSync(m.path, 'utf8')).toContain('198.51.100.9  # by hand');
    // Still an edit to take in, and what it removed is the operator's removal only.
    expect(m.unchanged()).toBe(false);
    expect(m.removedBy(r.entries)).toEqual([{ ip: '198.51.100.2', jail: 'manual' }]);
  });

  it('writes the whole list again when the file was deleted, with the change that came meanwhile', () => {
    const m = new BlocklistMirror(join(dir, 'blocklist'));
    const ban = (ip: string) => ({ ip, jail: 'manual', bannedAt: T, source: 'manual' });
    m.write([ban('198.51.100.1')]);
    rmSync(m.path);
    m.apply([{ op: 'add', ban: ban('198.51.100.4') }]);
    expect(m.read('manual')!.entries.map((e) => e.ip)).toEqual(['198.51.100.1', '198.51.100.4']);
    expect(m.unchanged()).toBe(true);
  });
});
