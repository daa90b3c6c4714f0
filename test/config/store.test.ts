import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigStore } from '../../src/config/store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bantop-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const w = (rel: string, text: string) => {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
};

describe('ConfigStore', () => {
  it('follows fail2ban reading order: X.conf, X.d/*.conf, X.local, X.d/*.local', () => {
    w('jail.conf', '[sshd]\na = conf\nb = conf\nc = conf\nd = conf\n');
    w('jail.d/10.conf', '[sshd]\nb = d-conf\nc = d-conf\nd = d-conf\n');
    w('jail.local', '[sshd]\nc = local\nd = local\n');
    w('jail.d/20.local', '[sshd]\nd = d-local\n');
    const s = new ConfigStore();
    s.readFamily(dir, 'jail');
    expect(['a', 'b', 'c', 'd'].map((k) => s.get('sshd', k))).toEqual(['conf', 'd-conf', 'local', 'd-local']);
  });

  it('reads [INCLUDES] before/after relative to the including file, skipping missing ones', () => {
    w('paths.conf', '[DEFAULT]\nsshd_log = /var/log/auth.log\nv = before\n');
    w('jail.conf', '[INCLUDES]\nbefore = paths.conf\nafter = missing.local\n[DEFAULT]\nv = main\n[sshd]\nlogpath = %(sshd_log)s\n');
    const s = new ConfigStore();
    s.readFamily(dir, 'jail');
    expect(s.get('sshd', 'logpath')).toBe('/var/log/auth.log');
    expect(s.get('sshd', 'v')).toBe('main');
  });

  it('interpolates %(name)s in the asking section, %(sec/opt)s, %(__name__)s, %(known/x)s and %%', () => {
    w('jail.conf', [
      '[DEFAULT]', 'port = 0:65535', 'banaction = nftables-multiport',
      'action_ = %(banaction)s[port="%(port)s"]', 'action = %(action_)s', 'filter = %(__name__)s[mode=normal]',
      '[other]', 'x = from-other', '[sshd]', 'port = ssh', 'y = %(other/x)s', 'pct = 100%%',
    ].join('\n'));
    w('jail.local', '[sshd]\nport = %(known/port)s,2222\n');
    const s = new ConfigStore();
    s.readFamily(dir, 'jail');
    expect(s.get('sshd', 'action')).toBe('nftables-multiport[port="ssh,2222"]');
    expect(s.get('sshd', 'filter')).toBe('sshd[mode=normal]');
    expect(s.get('sshd', 'y')).toBe('from-other');
    expect(s.get('sshd', 'pct')).toBe('100%');
  });

  it('%(known/x)s with no earlier x in the section takes DEFAULT\'s x (a filter extending common.conf\'s prefix)', () => {
    w('filter.d/common.conf', '[DEFAULT]\n_daemon = \\S*\n__prefix_line = <host> %(_daemon)s:\n');
    w('filter.d/mta.conf', '[INCLUDES]\nbefore = common.conf\n[Definition]\n_daemon = mta\n__prefix_line = %(known/__prefix_line)s(?:\\w{14}: )?\nprefregex = ^%(__prefix_line)s\n');
    const s = new ConfigStore();
    s.readFile(join(dir, 'filter.d', 'mta.conf'));
    expect(s.get('Definition', 'prefregex')).toBe('^<host> mta:(?:\\w{14}: )?');
  });

  it('names file, line and key of an unresolvable reference', () => {
    w('jail.conf', '[sshd]\n\nlogpath = %(nowhere)s\n');
    const s = new ConfigStore();
    s.readFamily(dir, 'jail');
    expect(() => s.get('sshd', 'logpath')).toThrow(/jail\.conf:line 3 \[logpath\]: "%\(nowhere\)s" refers to an option that is not set/);
  });
});
