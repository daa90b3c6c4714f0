import { describe, expect, it } from 'vitest';
import { Filter, type FilterSpec, type LineVerdict } from '../../src/filter/filter.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const spec = (o: Partial<FilterSpec>): FilterSpec => ({
  name: 't', failregex: [], ignoreregex: [], datepattern: [], maxlines: 1, maxlinelen: 10_000, useDns: true, ...o,
});
const hosts = (f: Filter, lines: string[]) => lines.map((l) => {
  const v: LineVerdict = f.processLine(l, NOW);
  return v.kind === 'failure' ? v.failure.host : v.kind;
});

describe('Filter', () => {
  it('runs prefregex first and the failregex on <F-CONTENT> only', () => {
    const f = new Filter(spec({ prefregex: '^\\s*\\S+ app: <F-CONTENT>.+</F-CONTENT>$', failregex: ['^bad login from <HOST>$'] }));
    expect(hosts(f, ['Jun 21 16:47:48 h app: bad login from 1.2.3.4', 'Jun 21 16:47:48 h other: bad login from 1.2.3.4'])).toEqual(['1.2.3.4', 'missed']);
    expect(f.stats).toMatchObject({ lines: 2, matched: 1, missed: 1 });
  });

  it('takes the rest of the line as the content where the prefregex ends in <F-CONTENT>.+</F-CONTENT>$, as the regex itself would', () => {
    // The same prefregex ending in \Z is not rewritten: both must agree on every line, the awkward ones included.
    const pre = '^<F-MLFID>\\S+ (?:app|ap)(?:\\[\\d+\\])?:</F-MLFID> ?(?:error: )?';
    const fail = ['^bad login from <HOST>( port \\d+)?\\s*$', '^ ?$', '^error: $'];
    const rewritten = new Filter(spec({ prefregex: `${pre}<F-CONTENT>.+</F-CONTENT>$`, failregex: fail }));
    const kept = new Filter(spec({ prefregex: `${pre}<F-CONTENT>.+</F-CONTENT>\\Z`, failregex: fail }));
    const lines = [
      'h app: bad login from 1.2.3.4', 'h app[7]: error: bad login from 1.2.3.5 port 22', 'h app: ', 'h app:', 'h app:  ',
      'h app: error: ', 'h ap: bad login from 1.2.3.6 \r', 'h other: bad login from 1.2.3.7', 'h app: bad login from 1.2.3.8   ',
    ];
    const seen = (f: Filter) => lines.map((l) => {
      const v = f.processLine(l, NOW);
      return v.kind === 'failure' ? [v.failure.host, v.failure.failregexIndex] : v.kind;
    });
    const got = seen(rewritten);
    expect(got).toEqual(seen(kept));
    // "h app: " and "h app: error: " leave a space and "error: " as the content; the session lends them its host.
    expect(got).toEqual([['1.2.3.4', 0], ['1.2.3.5', 0], ['1.2.3.4', 1], 'missed', ['1.2.3.4', 1], ['1.2.3.4', 2], ['1.2.3.6', 0], 'missed', ['1.2.3.8', 0]]);
    expect(rewritten.stats).toEqual(kept.stats);
  });

  it('counts ignoreregex hits as ignored, not failures', () => {
    const f = new Filter(spec({ failregex: ['fail from <HOST>'], ignoreregex: ['from 10\\.'] }));
    expect(hosts(f, ['fail from 10.0.0.1', 'fail from 1.2.3.4'])).toEqual(['ignored', '1.2.3.4']);
    expect(f.stats.ignored).toBe(1);
  });

  // fail2ban's Filter.findFailure: the ignoreregexes see what the failregex saw, the prefregex's content; with fewer
  // of them than failregexes less two, they also see every whole line first (regex-compat.test.ts checks both against fail2ban-regex).
  it('tries the ignoreregexes on the prefregex content, and first on the whole line when there are few of them', () => {
    const prefregex = '^\\s*\\S+ app\\[\\d+\\]: <F-CONTENT>.+</F-CONTENT>$';
    const lines = ['Jun 21 16:47:48 h app[1]: lost from 1.2.3.4', 'Jun 21 16:47:49 h app[2]: bad from 1.2.3.5', 'Jun 21 16:47:50 h app[2]: nothing'];
    const ignoreregex = ['^lost', '^\\s*h app\\[2\\]'];
    const after = new Filter(spec({ prefregex, failregex: ['^\\w+ from <HOST>$'], ignoreregex }));
    expect(hosts(after, lines)).toEqual(['ignored', '1.2.3.5', 'missed']);
    const first = new Filter(spec({ prefregex, failregex: ['^\\w+ from <HOST>$', '^a <HOST>$', '^b <HOST>$', '^c <HOST>$', '^d <HOST>$'], ignoreregex }));
    expect(hosts(first, lines)).toEqual(['ignored', 'ignored', 'ignored']);
  });

  it('reports the raw host, the normalised ip, the time and the captured fields', () => {
    const f = new Filter(spec({ failregex: ['user <F-USER>\\S+</F-USER> from <HOST>'] }));
    const v = f.processLine('Jun 21 16:47:48 user bob from ::ffff:1.2.3.4', NOW);
    expect(v).toMatchObject({ kind: 'failure', failure: { host: '1.2.3.4', ip: '1.2.3.4', fields: { user: 'bob' }, dated: true } });
    const v6 = f.processLine('user eve from 2001:DB8:0::1', NOW);
    expect(v6).toMatchObject({ kind: 'failure', failure: { host: '2001:DB8:0::1', ip: '2001:db8::1', time: NOW, dated: false } });
  });

  it('skips addresses no peer can have and broken ones a resolver would still read (1.2.3 is 1.2.0.3 to getaddrinfo)', () => {
    const f = new Filter(spec({ failregex: ['fail from <HOST>$'] }));
    expect(hosts(f, ['fail from 0.0.0.0', 'fail from ::', 'fail from 1.2.3', 'fail from 10.1.1.1.5', 'fail from 010.1.1.1', 'fail from mail.example.org']))
      .toEqual(['skipped', 'missed', 'skipped', 'skipped', 'skipped', 'mail.example.org']);
    expect(f.stats.invalidAddress).toBe(4);
  });

  it('uses <F-ID> as the failure id', () => {
    const f = new Filter(spec({ failregex: ['session <F-ID>\\w+</F-ID> failed'] }));
    expect(f.processLine('session abc123 failed', NOW)).toMatchObject({ kind: 'failure', failure: { host: 'abc123', ip: null } });
  });

  it('keeps session state by <F-MLFID>: NOFAIL lines lend their host to later host-less failures', () => {
    const f = new Filter(spec({
      prefregex: '^<F-MLFID>\\S+\\[\\d+\\]: </F-MLFID><F-CONTENT>.+</F-CONTENT>$',
      failregex: ['^<F-NOFAIL>connect from</F-NOFAIL> <HOST>$', '^too many failures$', '^<F-MLFFORGET>closed</F-MLFFORGET>$'],
    }));
    expect(hosts(f, ['d[1]: connect from 1.2.3.4', 'd[2]: connect from 5.6.7.8', 'd[1]: too many failures', 'd[1]: closed', 'd[1]: too many failures']))
      .toEqual(['ignored', 'ignored', '1.2.3.4', '1.2.3.4', 'ignored']);
  });

  it('buffers maxlines and reports a multi-line failure on the line that completes it', () => {
    const f = new Filter(spec({ maxlines: 3, failregex: ['^begin from <HOST><SKIPLINES>end: denied$'] }));
    expect(hosts(f, ['begin from 1.2.3.4', 'noise', 'end: denied', 'end: denied'])).toEqual(['missed', 'missed', '1.2.3.4', 'missed']);
    // As fail2ban-regex counts: the first line, taken by the match, counts as matched too.
    expect(f.stats).toMatchObject({ lines: 4, matched: 2, missed: 2 });
  });

  it('leaves the lines <SKIPLINES> passed over in the buffer, where a later match can take them (as fail2ban does)', () => {
    const f = new Filter(spec({ maxlines: 3, failregex: ['^begin from <HOST><SKIPLINES>end: denied$', '^noise from <HOST>\\nlater$'] }));
    expect(hosts(f, ['begin from 1.2.3.4', 'noise from 5.6.7.8', 'end: denied', 'later'])).toEqual(['missed', 'missed', '1.2.3.4', '5.6.7.8']);
    expect(f.stats).toMatchObject({ lines: 4, matched: 4, missed: 0 });
    // The skipped lines are fail2ban's bookkeeping, not a field of the failure.
    const g = new Filter(spec({ maxlines: 3, failregex: ['^begin from <HOST><SKIPLINES>end: denied$'] }));
    g.processLine('begin from 1.2.3.4', NOW);
    g.processLine('noise', NOW);
    expect(g.processLine('end: denied', NOW)).toMatchObject({ kind: 'failure', failure: { fields: {} } });
  });

  it('merges anchored failregexes and still reports the first that matches, in order, with its own fields', () => {
    const f = new Filter(spec({ failregex: [
      '^(?P<w>\\w+) again (?P=w) from <HOST>$',
      '^login <F-USER>\\S+</F-USER> failed from <HOST>$',
      '^login (?P<x>root) failed from <HOST>$',
    ] }));
    expect(f.processLine('hello again hello from 1.2.3.4', NOW)).toMatchObject({ kind: 'failure', failure: { host: '1.2.3.4', failregexIndex: 0, fields: { w: 'hello' } } });
    expect(f.processLine('hello again bye from 1.2.3.4', NOW)).toEqual({ kind: 'missed' });
    expect(f.processLine('login root failed from 2001:db8::2', NOW)).toMatchObject({ kind: 'failure', failure: { failregexIndex: 1, fields: { user: 'root' } } });
  });

  it('truncates long lines, skips binary junk and invalid addresses, and never throws', () => {
    const f = new Filter(spec({ failregex: ['fail from <HOST>'], maxlinelen: 1000 }));
    const big = 'fail from 1.2.3.4 ' + 'x'.repeat(1024 * 1024);
    expect(hosts(f, [big, 'fail from 1.2.3.4\u0000\u0001\u0002', 'fail from 999.2.3.4', '\u001b[31mfail from 1.2.3.4\u001b[0m']))
      .toEqual(['1.2.3.4', 'skipped', 'skipped', '1.2.3.4']);
    expect(f.stats).toMatchObject({ truncated: 1, binary: 1, invalidAddress: 1 });
  });

  describe('<F-MLFID> sessions follow fail2ban', () => {
    const sessionSpec = spec({
      prefregex: '^<F-MLFID>\\S+\\[\\d+\\]: </F-MLFID><F-CONTENT>.+</F-CONTENT>$',
      failregex: [
        '^Failed (?:<F-NOFAIL>publickey</F-NOFAIL>|password) for <F-USER>\\S+</F-USER> from <HOST>$',
        '^too many failures$',
        '^<F-NOFAIL><F-MLFFORGET>closed</F-MLFFORGET></F-NOFAIL> by <HOST>$',
        '^<F-MLFFORGET><F-MLFGAINED>Accepted</F-MLFGAINED></F-MLFFORGET> for <F-USER>\\S+</F-USER> from <HOST>$',
        '^via <F-ALT_USER>\\S+</F-ALT_USER> from <HOST>$',
        '^from <HOST> as <F-USER>\\S+</F-USER>$',
      ],
    });

    it('a second user name in one session makes a NOFAIL line a failure', () => {
      const f = new Filter(sessionSpec);
      expect(hosts(f, ['d[1]: Failed publickey for root from 1.2.3.4', 'd[1]: Failed publickey for root from 1.2.3.4', 'd[1]: Failed publickey for admin from 1.2.3.4']))
        .toEqual(['ignored', 'ignored', '1.2.3.4']);
    });

    it('a failure without a host waits for one: the next line of the session reports it, even a NOFAIL line', () => {
      const f = new Filter(sessionSpec);
      expect(hosts(f, ['d[2]: too many failures', 'd[2]: closed by 5.6.7.8', 'd[2]: closed by 5.6.7.8'])).toEqual(['ignored', '5.6.7.8', 'ignored']);
      // Counted as fail2ban-regex counts them: the host-less failure is a match, though only the next line has a host to act on.
      expect(f.stats).toMatchObject({ matched: 2, ignored: 1 });
    });

    it('an accepted login ends the pending failure and is not a failure itself', () => {
      const f = new Filter(sessionSpec);
      expect(hosts(f, ['d[3]: too many failures', 'd[3]: Accepted for bob from 1.2.3.4', 'd[3]: closed by 1.2.3.4'])).toEqual(['ignored', 'ignored', 'ignored']);
    });

    it('keeps every value the session captured: an earlier IPv4 address still names the failure', () => {
      const f = new Filter(sessionSpec);
      expect(hosts(f, ['d[4]: Failed publickey for a from 10.0.0.4', 'd[4]: Failed password for a from 2001:db8::4'])).toEqual(['ignored', '10.0.0.4']);
    });

    it('fills a missing field from its alt_ group', () => {
      const f = new Filter(sessionSpec);
      expect(f.processLine('d[5]: via carol from 1.2.3.5', NOW)).toMatchObject({ kind: 'failure', failure: { fields: { user: 'carol', alt_user: 'carol' } } });
      expect(f.processLine('d[6]: from 1.2.3.6 as dave', NOW)).toMatchObject({ kind: 'failure', failure: { fields: { user: 'dave' } } });
    });

    it('holds 100 sessions, forgetting the oldest first and any after 5 minutes', () => {
      const f = new Filter(sessionSpec);
      for (let i = 0; i <= 100; i++) f.processLine(`d[${100 + i}]: too many failures`, NOW);
      // Session 100 was pushed out by the 101st; session 101 is still waiting for its host.
      expect(hosts(f, ['d[100]: closed by 9.9.9.1', 'd[101]: closed by 9.9.9.2'])).toEqual(['ignored', '9.9.9.2']);
      const g = new Filter(sessionSpec);
      g.processLine('d[7]: too many failures', NOW);
      expect(g.processLine('d[7]: closed by 9.9.9.3', NOW + 5 * 60_000 + 1)).toMatchObject({ kind: 'ignored' });
      g.processLine('d[8]: too many failures', NOW);
      expect(g.processLine('d[8]: closed by 9.9.9.4', NOW + 5 * 60_000 - 1)).toMatchObject({ kind: 'failure' });
    });
  });
});
