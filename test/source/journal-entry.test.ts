import { describe, expect, it } from 'vitest';
import { journalSelectArgs, parseJournalLine, renderJournalEntry, type JournalEntry } from '../../src/source/journal-entry.js';

const base = { __CURSOR: 's=1', __REALTIME_TIMESTAMP: '1782060469123456' };
const render = (fields: Partial<JournalEntry>) => renderJournalEntry({ ...base, ...fields });

describe('renderJournalEntry: the line fail2ban\'s systemd backend makes of an entry', () => {
  it('host, ident[pid]: and the message, with the entry\'s time in ms; SYSLOG_PID before _PID, _COMM when there is no identifier', () => {
    expect(render({ _HOSTNAME: 'web1', SYSLOG_IDENTIFIER: 'sshd', _PID: '4242', MESSAGE: 'Failed password' }))
      .toEqual({ line: 'web1 sshd[4242]: Failed password', time: 1782060469123 });
    expect(render({ _HOSTNAME: 'web1', SYSLOG_IDENTIFIER: 'sshd', SYSLOG_PID: '77', _PID: '4242', MESSAGE: 'x' }).line).toEqual('web1 sshd[77]: x');
    expect(render({ _HOSTNAME: 'web1', _COMM: 'sshd-session', _PID: '9', MESSAGE: 'x' }).line).toEqual('web1 sshd-session[9]: x');
    // The source's own time comes first.
    expect(render({ _SOURCE_REALTIME_TIMESTAMP: '1000000', MESSAGE: 'x' }).time).toBe(1000);
  });

  it('leaves out what an entry lacks: no host, no identifier (then no pid and no colon), no pid', () => {
    expect(render({ SYSLOG_IDENTIFIER: 'sshd', _PID: '1', MESSAGE: 'x' }).line).toEqual('sshd[1]: x');
    expect(render({ _HOSTNAME: 'web1', _PID: '1', MESSAGE: 'x' }).line).toEqual('web1 x');
    expect(render({ _HOSTNAME: 'web1', SYSLOG_IDENTIFIER: 'cron', MESSAGE: 'x' }).line).toEqual('web1 cron: x');
    expect(render({ _HOSTNAME: 'web1', SYSLOG_IDENTIFIER: 'cron' }).line).toEqual('web1 cron: ');
  });

  it('gives the kernel its uptime stamp, as fail2ban does, so kernel filters see "kernel: [ 1234.5]"', () => {
    expect(render({ _HOSTNAME: 'fw', SYSLOG_IDENTIFIER: 'kernel', __MONOTONIC_TIMESTAMP: '5123456789', MESSAGE: 'IN=eth0 SRC=1.2.3.4' }).line)
      .toBe('fw kernel: [ 5123.456789] IN=eth0 SRC=1.2.3.4');
    expect(render({ SYSLOG_IDENTIFIER: 'kernel', __MONOTONIC_TIMESTAMP: '1', _SOURCE_MONOTONIC_TIMESTAMP: '2000000', MESSAGE: 'x' }).line).toEqual('kernel: [    2.000000] x');
  });

  it('reads a value journalctl prints as bytes, a field given twice (joined by a space), a pid in hex', () => {
    expect(render({ MESSAGE: [...Buffer.from('caf\u00e9 from 1.2.3.4')], SYSLOG_IDENTIFIER: 'app' }).line).toEqual('app: caf\u00e9 from 1.2.3.4');
    expect(render({ MESSAGE: ['one', 'two'], SYSLOG_IDENTIFIER: 'app' }).line).toEqual('app: one two');
    expect(render({ SYSLOG_IDENTIFIER: 'app', SYSLOG_PID: '0x1f', MESSAGE: 'x' }).line).toEqual('app[31]: x');
    expect(render({ SYSLOG_IDENTIFIER: 'app', SYSLOG_PID: '077', MESSAGE: 'x' }).line).toEqual('app[077]: x');
  });

  it('keeps a message of several lines one line, as fail2ban does: cut, its second line would pass for the program\'s own', () => {
    expect(render({ SYSLOG_IDENTIFIER: 'app', _PID: '1', MESSAGE: 'first\nsshd[2]: Failed password for root from 8.8.8.8' }))
      .toEqual({ line: 'app[1]: first\nsshd[2]: Failed password for root from 8.8.8.8', time: 1782060469123 });
  });

  it('takes a line of journalctl -o json that is an entry, and nothing else', () => {
    expect(parseJournalLine(JSON.stringify({ ...base, MESSAGE: 'x', EXTRA: 'ignored' }))).toMatchObject({ MESSAGE: 'x' });
    for (const bad of ['', 'not json', '[]', '{}', JSON.stringify({ __CURSOR: 'c' }), JSON.stringify({ ...base, __REALTIME_TIMESTAMP: 'soon' }),
      JSON.stringify({ ...base, MESSAGE: { nested: true } })]) {
      expect(parseJournalLine(bad), bad).toBeNull();
    }
  });
});

describe('journalSelectArgs: journalctl\'s arguments for the systemd backend\'s options', () => {
  it('reads the system journal by default, as fail2ban (journalflags 4); files, a directory or a namespace as given', () => {
    expect(journalSelectArgs({})).toEqual(['--system']);
    expect(journalSelectArgs({ journalfiles: '/a/x.journal, /b/*.journal' })).toEqual(['--file=/a/x.journal', '--file=/b/*.journal']);
    expect(journalSelectArgs({ journalpath: '/var/log/journal/remote' })).toEqual(['--directory=/var/log/journal/remote']);
    expect(journalSelectArgs({ journalpath: '/j', journalflags: '4' })).toEqual(['--directory=/j', '--system']);
    expect(journalSelectArgs({ journalflags: '1' })).toEqual([]);
    expect(journalSelectArgs({ journalflags: '12' })).toEqual(['--system', '--user']);
    expect(journalSelectArgs({ namespace: 'web' })).toEqual(['--namespace=web']);
    expect(journalSelectArgs({ namespace: '+web' })).toEqual(['--namespace=+web']);
  });

  it('refuses an option it does not know, flags journalctl cannot ask for, and a namespace that is no name', () => {
    expect(() => journalSelectArgs({ journalfile: '/x' })).toThrow('the systemd journal has no option "journalfile"');
    expect(() => journalSelectArgs({ journalflags: '2' })).toThrow('journalflags "2" is not one bantop can pass to journalctl');
    expect(() => journalSelectArgs({ journalflags: 'all' })).toThrow('journalflags "all"');
    expect(() => journalSelectArgs({ namespace: '--all' })).toThrow('is not a journal namespace name');
  });
});
