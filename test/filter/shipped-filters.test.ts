import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveFilter } from '../../src/config/filter-def.js';
import { Filter } from '../../src/filter/filter.js';

const ASSETS = join(import.meta.dirname, '..', '..', 'assets', 'config');
const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

function filter(name: string, args: Record<string, string> = {}): Filter {
  return new Filter(resolveFilter(ASSETS, { name, args, where: { file: 'test', key: 'filter' } }).spec);
}
function first(f: Filter, line: string): { host: string; fields: Record<string, string> } | string {
  const v = f.processLine(line, NOW);
  return v.kind === 'failure' ? { host: v.failure.host, fields: v.failure.fields } : v.kind;
}
const S = 'Nov 21 10:00:00 web1 sshd[4242]:';

describe('shipped sshd filter', () => {
  it.each([
    [`${S} Failed password for root from 203.0.113.9 port 4711 ssh2`, '203.0.113.9', 'root'],
    [`${S} Failed password for invalid user admin from 203.0.113.9 port 4711 ssh2`, '203.0.113.9', 'admin'],
    [`${S} Invalid user oracle from 2001:db8::9 port 4711`, '2001:db8::9', 'oracle'],
    [`${S} error: maximum authentication attempts exceeded for root from 203.0.113.9 port 4711 ssh2 [preauth]`, '203.0.113.9', 'root'],
    [`${S} User bob from 203.0.113.9 not allowed because not listed in AllowUsers`, '203.0.113.9', 'bob'],
    ['Nov 21 10:00:00 web1 sshd-session[77]: Failed password for root from 203.0.113.9 port 4711 ssh2', '203.0.113.9', 'root'],
  ])('matches %s', (line, host, user) => {
    expect(first(filter('sshd'), line)).toEqual({ host, fields: { user } });
  });

  it('takes a host-less "Too many authentication failures" from the session', () => {
    const f = filter('sshd');
    expect(first(f, `${S} Connection from 203.0.113.9 port 4711 on 192.0.2.1 port 22 rdomain ""`)).toBe('ignored');
    expect(first(f, `${S} Disconnecting: Too many authentication failures [preauth]`)).toMatchObject({ host: '203.0.113.9' });
  });

  it.each([
    `${S} Failed password for invalid user root from 8.8.8.8 port 22 ssh2 from 203.0.113.9 port 4711 ssh2`,
    `${S} Invalid user root from 8.8.8.8 from 203.0.113.9 port 4711`,
    `${S} Failed password for invalid user x from 8.8.8.8 port 22 ssh2: RSA SHA256:x from 203.0.113.9 port 4711 ssh2`,
    `${S} Invalid user root from 8.8.8.8 port 22 from 203.0.113.9 port 4711`,
  ])('never binds an address hidden in the user name: %s', (line) => {
    const r = first(filter('sshd', { mode: 'aggressive' }), line);
    expect(typeof r === 'string' ? r : r.host).toBe('203.0.113.9');
  });

  it('does not count sessions, successes or other daemons', () => {
    const f = filter('sshd');
    for (const l of [
      `${S} Accepted publickey for bob from 203.0.113.9 port 4711 ssh2: ED25519 SHA256:abc`,
      `${S} pam_unix(sshd:session): session opened for user bob(uid=1000) by (uid=0)`,
      'Nov 21 10:00:00 web1 CRON[1]: Failed password for root from 203.0.113.9 port 1 ssh2',
      `${S} Connection closed by 203.0.113.9 port 4711 [preauth]`,
    ]) expect(first(f, l)).not.toHaveProperty('host');
  });

  it('modes add the ddos and extra rules', () => {
    const line = `${S} Did not receive identification string from 203.0.113.9 port 4711`;
    expect(first(filter('sshd'), line)).toBe('missed');
    expect(first(filter('sshd', { mode: 'ddos' }), line)).toMatchObject({ host: '203.0.113.9' });
    expect(first(filter('sshd', { mode: 'aggressive' }), line)).toMatchObject({ host: '203.0.113.9' });
  });

  it('reads journal-shaped lines with logtype=journal', () => {
    expect(first(filter('sshd', { logtype: 'journal' }), 'web1 sshd[4242]: Failed password for root from 203.0.113.9 port 1 ssh2')).toMatchObject({ host: '203.0.113.9' });
  });
});

describe('shipped nginx, postfix and dovecot filters', () => {
  it('nginx-http-auth: password mismatch counts, a browser\'s first request only in aggressive mode', () => {
    const mismatch = '2026/11/21 10:00:00 [error] 812#812: *7 user "admin": password mismatch, client: 203.0.113.9, server: example.com, request: "GET / HTTP/1.1", host: "example.com"';
    const none = '2026/11/21 10:00:00 [error] 812#812: *7 no user/password was provided for basic authentication, client: 203.0.113.9, server: example.com, request: "GET / HTTP/1.1", host: "example.com"';
    expect(first(filter('nginx-http-auth'), mismatch)).toEqual({ host: '203.0.113.9', fields: { user: 'admin' } });
    expect(first(filter('nginx-http-auth'), none)).toBe('missed');
    expect(first(filter('nginx-http-auth', { mode: 'aggressive' }), none)).toMatchObject({ host: '203.0.113.9' });
    const inj = '2026/11/21 10:00:00 [error] 812#812: *7 user "x": password mismatch, client: 8.8.8.8, server: a": password mismatch, client: 203.0.113.9, server: example.com, request: "GET / HTTP/1.1", host: "example.com"';
    expect(first(filter('nginx-http-auth'), inj)).toMatchObject({ host: '203.0.113.9' });
  });

  it('nginx-botsearch: probes answered 404 count, pages do not', () => {
    const f = filter('nginx-botsearch');
    expect(first(f, '203.0.113.9 - - [21/Nov/2026:10:00:00 +0000] "GET /wp-login.php HTTP/1.1" 404 153 "-" "x"')).toMatchObject({ host: '203.0.113.9' });
    expect(first(f, '203.0.113.9 - - [21/Nov/2026:10:00:00 +0000] "GET /wp-login.php HTTP/1.1" 200 153 "-" "x"')).toBe('missed');
    expect(first(f, '203.0.113.9 - - [21/Nov/2026:10:00:00 +0000] "GET /index.html HTTP/1.1" 404 153 "-" "x"')).toBe('missed');
  });

  it('postfix: SASL failures and relay attempts', () => {
    const f = filter('postfix');
    expect(first(f, 'Nov 21 10:00:00 mail postfix/smtpd[2002]: warning: unknown[203.0.113.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6')).toMatchObject({ host: '203.0.113.9' });
    expect(first(f, 'Nov 21 10:00:00 mail postfix/smtpd[2002]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 554 5.7.1 <a@b.example>: Relay access denied; from=<x@y> to=<a@b.example> proto=ESMTP helo=<x>')).toMatchObject({ host: '203.0.113.9' });
    expect(first(f, 'Nov 21 10:00:00 mail postfix/smtpd[2002]: connect from unknown[203.0.113.9]')).toBe('missed');
  });

  it('dovecot: login failures, with the user name unable to move the address', () => {
    const f = filter('dovecot');
    expect(first(f, 'Nov 21 10:00:00 mail dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip=203.0.113.9, lip=10.0.0.1, TLS, session=<s1>'))
      .toEqual({ host: '203.0.113.9', fields: { user: 'bob' } });
    expect(first(f, 'Nov 21 10:00:00 mail dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x>, method=PLAIN, rip=8.8.8.8, lip=1>, method=PLAIN, rip=203.0.113.9, lip=10.0.0.1, TLS, session=<s1>'))
      .toMatchObject({ host: '203.0.113.9' });
    expect(first(f, 'Nov 21 10:00:00 mail dovecot: imap-login: Login: user=<bob>, method=PLAIN, rip=203.0.113.9, lip=10.0.0.1, mpid=1, TLS')).toBe('missed');
  });
});

describe('shipped closed-ports filter (kernel firewall LOG lines)', () => {
  it('extracts source, port, protocol and the rule prefix, for IPv4 and IPv6, from files and the journal', () => {
    const f = filter('closed-ports');
    expect(first(f, 'Nov 21 10:00:00 web1 kernel: [ 1234.567890] [ssh-blocked-port-22] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.9 DST=192.0.2.1 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=1 DF PROTO=TCP SPT=4711 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0'))
      .toEqual({ host: '203.0.113.9', fields: { rule: 'ssh-blocked-port-22', proto: 'TCP', dpt: '22' } });
    expect(first(f, 'Nov 21 10:00:00 web1 kernel: [mysql-blocked-port-3306] IN=eth0 OUT= MAC=00 SRC=2001:db8::9 DST=2001:db8::1 LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=0 PROTO=TCP SPT=4711 DPT=3306 WINDOW=64800 RES=0x00 SYN URGP=0'))
      .toMatchObject({ host: '2001:db8::9', fields: { dpt: '3306' } });
    const j = filter('closed-ports', { logtype: 'journal' });
    expect(first(j, 'web1 kernel: [dns-blocked-port-53] IN=eth0 OUT= MAC=00 SRC=203.0.113.9 DST=192.0.2.1 LEN=60 PROTO=UDP SPT=4711 DPT=53 LEN=40'))
      .toMatchObject({ host: '203.0.113.9', fields: { proto: 'UDP', dpt: '53' } });
  });
});

describe('shipped ban-log filters (repeat offenders read from bantop\'s own ban log)', () => {
  it('bantop-banlog counts bans in the plain format and never the bans of its own jail', () => {
    const f = filter('bantop-banlog', { _jailname: 'permanent-bans' });
    expect(first(f, '[2026-11-21] [ssh-blocked-port-22] [203.0.113.9] Host banned for 1d.')).toMatchObject({ host: '203.0.113.9' });
    expect(first(f, '[2026-11-21] [sshd] [2001:db8::9] Host banned permanently.')).toMatchObject({ host: '2001:db8::9' });
    expect(first(f, '[2026-11-21] [permanent-bans] [203.0.113.9] Host banned permanently.')).not.toHaveProperty('host');
    expect(first(f, '[2026-11-21] [sshd] [203.0.113.9] Host unbanned.')).not.toHaveProperty('host');
  });

  it('bantop-recidive counts bans in fail2ban\'s format and never the bans of its own jail', () => {
    const f = filter('bantop-recidive', { _jailname: 'bantop-recidive' });
    expect(first(f, '2026-11-21 10:00:00,123 fail2ban.actions [1234]: NOTICE [sshd] Ban 203.0.113.9')).toMatchObject({ host: '203.0.113.9' });
    expect(first(f, '2026-11-21 10:00:00,123 fail2ban.actions [1234]: NOTICE [bantop-recidive] Ban 203.0.113.9')).not.toHaveProperty('host');
    expect(first(f, '2026-11-21 10:00:00,123 fail2ban.actions [1234]: NOTICE [sshd] Unban 203.0.113.9')).not.toHaveProperty('host');
  });
});

describe('hostile lines never crash a shipped filter', () => {
  const hostile = [
    '\u0000\u0001\u0002\u00ff'.repeat(1000),
    'x'.repeat(1024 * 1024),
    `${S} Failed password for ${'a'.repeat(200_000)} from 203.0.113.9 port 1 ssh2`,
    `${S} \u001b[2J\u001b[31mFailed password for root from 203.0.113.9 port 1 ssh2`,
    Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1]).toString('utf8'),
    `${S} Failed password for root from 300.1.1.1 port 1 ssh2`,
    `${S} Failed password for root from ::::::: port 1 ssh2`,
    `${S} Failed password for root from $(reboot) port 1 ssh2`,
    `${S} Failed password for root from 1.2.3.4;rm -rf / port 1 ssh2`,
    '',
  ];
  for (const name of ['sshd', 'nginx-http-auth', 'nginx-botsearch', 'postfix', 'dovecot', 'closed-ports']) {
    it(`${name} counts and skips them`, () => {
      const f = filter(name, name === 'sshd' ? { mode: 'aggressive' } : {});
      for (const l of hostile) {
        const v = f.processLine(l, NOW);
        if (v.kind === 'failure') expect(v.failure.ip).not.toBeNull();
        if (v.kind === 'failure') expect(['203.0.113.9']).toContain(v.failure.ip);
      }
      expect(f.stats.lines).toBe(hostile.length);
    });
  }
});
