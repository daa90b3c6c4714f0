import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDatePattern, compileDatePattern, DateDetector, dateMatchToTime, DatePatternError, isoLocal } from '../../src/filter/dates.js';

const prevTz = process.env['TZ'];
beforeAll(() => { process.env['TZ'] = 'UTC'; });
afterAll(() => { process.env['TZ'] = prevTz; });

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

function read(line: string, patterns: string[] = []): { iso: string; rest: string } | null {
  const d = new DateDetector(patterns);
  const m = d.find(line);
  if (!m) return null;
  const t = dateMatchToTime(m, NOW);
  return { iso: t === null ? 'null' : isoLocal(t), rest: line.slice(0, m.start) + line.slice(m.end) };
}

describe('DateDetector', () => {
  it('builds the default formats when first tried, each of them valid; a filter\'s own bad datepattern fails when the filter loads', () => {
    const defaults = compileDatePattern('');
    expect(defaults.length).toBeGreaterThan(10);
    for (const t of defaults) {
      expect(() => t.prepare(), t.name).not.toThrow();
      expect(t.regex).toBeInstanceOf(RegExp);
      expect(t.probe.sticky, t.name).toBe(true);
      expect(t.dateGroup, t.name).toBeGreaterThan(0);
    }
    expect(() => compileDatePattern('%Y-%m-%d (')).toThrow();
  });

  it('refuses, as fail2ban does, a datepattern it cannot read: a user error naming the pattern and what is wrong, from the build and from the check that builds nothing', () => {
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return null;
    };
    const cases: Array<[string, string | RegExp]> = [
      ['%Y-%m-%d %Q', 'unknown date directive %Q'],
      ['%Y %', 'a lone "%" at the end'],
      ['%Y%-', 'unknown date directive %-'],
      ['%Exk', 'unknown date directive %Exk'],
      ['%U', /^date directive %U is not read by bantop/],
      // The regex around the date: told without the position in the regex it expands to.
      ['^(%Y-%m-%d', 'missing ")"'],
      ['{^LN-BEG}%ExY-%Exm-%Exd (', 'missing ")"'],
      // Around {DATE}, each default format in turn: the operator's part is checked.
      ['^(x {DATE}', 'missing ")"'],
    ];
    for (const [pattern, problem] of cases) {
      for (const e of [refusal(() => compileDatePattern(pattern)), refusal(() => checkDatePattern(pattern))]) {
        expect(e, pattern).toBeInstanceOf(DatePatternError);
        const err = e as DatePatternError;
        expect(err.pattern).toBe(pattern);
        expect(err.problem, pattern).toMatch(problem instanceof RegExp ? problem : new RegExp(`^${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
        expect(err.message).toBe(`datepattern "${pattern}": ${err.problem}`);
        expect(err.hint).toBeTruthy();
      }
    }
    // The default formats alone (`{^LN-BEG}`, `{UNB}`) are bantop's own, built when first tried, not checked in each run.
    expect(compileDatePattern('{^LN-BEG}', false, true).every((t) => t.builtIn)).toBe(true);
    expect(compileDatePattern('^[^\\[]*\\[({DATE})', false, true).some((t) => t.builtIn)).toBe(false);
    // What fail2ban reads, bantop checks and reads: %% is a percent sign.
    for (const pattern of ['%%%Y-%m-%d %H:%M:%S', '{^LN-BEG}%ExY-%Exm-%Exd %ExH:%ExM:%ExS', 'EPOCH', '%Y-%m-%d(?= )', '{DATE}']) {
      expect(() => checkDatePattern(pattern), pattern).not.toThrow();
    }
    expect(read('x %2020-01-02 03:04:05 y', ['%%%Y-%m-%d %H:%M:%S'])).toEqual({ iso: '2020-01-02T03:04:05', rest: 'x  y' });
  });

  it('reads fail2ban default formats', () => {
    expect(read('Jun 21 16:47:48 host sshd[1]: x')).toEqual({ iso: '2026-06-21T16:47:48', rest: ' host sshd[1]: x' });
    expect(read('2005-06-21T16:47:48.123+02:00 host x')!.iso).toBe('2005-06-21T14:47:48');
    expect(read('2005/06/21 16:47:48 [error] x')!.iso).toBe('2005-06-21T16:47:48');
    expect(read('1.2.3.4 - - [21/Jun/2005:16:47:48 +0000] "GET /"')).toEqual({ iso: '2005-06-21T16:47:48', rest: '1.2.3.4 - - [] "GET /"' });
    expect(read('1119372468 x')!.iso).toBe('2005-06-21T16:47:48');
    // TAI64N as fail2ban reads it: the label less 2^62 (fail2ban-regex: 1119372478).
    expect(read('@4000000042b844be00000000 x')!.iso).toBe('2005-06-21T16:47:58');
  });

  it('gives a year-less date the current year, or the previous one when that is over a day ahead', () => {
    expect(read('Nov 22 11:00:00 h x: y')!.iso).toBe('2026-11-22T11:00:00');
    expect(read('Nov 23 11:00:00 h x: y')!.iso).toBe('2025-11-23T11:00:00');
    expect(read('Dec 31 23:59:59 h x: y')!.iso).toBe('2025-12-31T23:59:59');
  });

  it('gives a time without a day today\'s date, or yesterday\'s when today\'s is still to come (fail2ban)', () => {
    // NOW is 12:00:00 on 21 November.
    expect(read('11:59:59.5 x', ['^%H:%M:%S.%f'])!.iso).toBe('2026-11-21T11:59:59');
    expect(read('12:57:32.907 x', ['^%H:%M:%S.%f'])!.iso).toBe('2026-11-20T12:57:32');
    const newYear = Date.UTC(2027, 0, 1, 0, 30);
    const m = new DateDetector(['^%H:%M:%S']).find('23:00:00 x')!;
    expect(isoLocal(dateMatchToTime(m, newYear)!)).toBe('2026-12-31T23:00:00');
  });

  it('keeps a filter\'s own pattern off the middle of a word, unless it places itself (^, $, \\b, \\s, **, {UNB})', () => {
    expect(read('id2005-06-21 16:47:48 x', ['%Y-%m-%d %H:%M:%S'])).toBeNull();
    expect(read('at 2005-06-21 16:47:489 x', ['%Y-%m-%d %H:%M:%S'])).toBeNull();
    expect(read('at 2005-06-21 16:47:48 x', ['%Y-%m-%d %H:%M:%S'])!.iso).toBe('2005-06-21T16:47:48');
    expect(read('[2005-06-21 16:47:48] x', ['%Y-%m-%d %H:%M:%S'])!.iso).toBe('2005-06-21T16:47:48');
    expect(read('id2005-06-21 16:47:48 x', ['**%Y-%m-%d %H:%M:%S'])!.iso).toBe('2005-06-21T16:47:48');
    expect(read('id2005-06-21 16:47:48 x', ['{UNB}%Y-%m-%d %H:%M:%S'])!.iso).toBe('2005-06-21T16:47:48');
  });

  it('reads `**` at a pattern\'s end as no boundary, and an empty date (ejabberd\'s `^I\\(()**`) as the time the line is read', () => {
    const patterns = ['^(?:=[^=]+={3,} )?(%ExY(?P<_sep>[-/.])%m(?P=_sep)%d[T ]%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?)', '^I\\(()**'];
    expect(read('=INFO REPORT==== 2013-04-07 01:05:34 ===', patterns)!.iso).toBe('2013-04-07T01:05:34');
    expect(read('I(<0.1.0>:ejabberd_c2s:802) : (#socket) Failed authentication', patterns)).toEqual({ iso: isoLocal(NOW), rest: 'I(<0.1.0>:ejabberd_c2s:802) : (#socket) Failed authentication' });
  });

  it('reads a zone abbreviation before the date (monit) as its offset, and an offset after an abbreviation', () => {
    // As monit's filter reads them (common.conf: the default formats at the line start).
    expect(read('[PDT Apr 16 21:05:29] error    : Warning: Client', ['{^LN-BEG}'])!.iso).toBe('2026-04-17T04:05:29');
    expect(read('[CEST Aug  6 10:14:52] error    : HttpRequest', ['{^LN-BEG}'])!.iso).toBe('2026-08-06T08:14:52');
    expect(read('at 2005-06-21 16:47:48 NZDT x', ['%Y-%m-%d %H:%M:%S %Exz'])!.iso).toBe('2005-06-21T03:47:48');
    expect(read('at 2005-06-21 16:47:48 CET+01:00 x', ['%Y-%m-%d %H:%M:%S %Exz'])!.iso).toBe('2005-06-21T14:47:48');
    // Not in the table: the time stays local.
    expect(read('at 2005-06-21 16:47:48 QQQ x', ['%Y-%m-%d %H:%M:%S %ExZ'])!.iso).toBe('2005-06-21T16:47:48');
  });

  it('anchors {^LN-BEG} patterns at the line start', () => {
    expect(read('x Jun 21 16:47:48 y', ['{^LN-BEG}'])).toBeNull();
    expect(read('Jun 21 16:47:48 y', ['{^LN-BEG}'])).not.toBeNull();
  });

  it('reads custom datepatterns with strftime directives and {DATE}', () => {
    expect(read('L 21/06/2005 - 16:47:48: x', ['^L %d/%m/%Y - %H:%M:%S'])!.iso).toBe('2005-06-21T16:47:48');
    expect(read('ip - [21/Jun/2005:16:47:48 +0000] x', ['^[^\\[]*\\[({DATE})'])).toEqual({ iso: '2005-06-21T16:47:48', rest: 'ip - [] x' });
  });

  it('reads each line of a burst that shares a timestamp by itself: a longer date after the same text is read whole', () => {
    const d = new DateDetector();
    const at = (line: string) => {
      const m = d.find(line)!;
      return { iso: isoLocal(dateMatchToTime(m, NOW)!), rest: line.slice(0, m.start) + line.slice(m.end) };
    };
    expect(at('Jun 21 16:47:48 host a')).toEqual({ iso: '2026-06-21T16:47:48', rest: ' host a' });
    expect(at('Jun 21 16:47:48 host b')).toEqual({ iso: '2026-06-21T16:47:48', rest: ' host b' });
    expect(at('Jun 21 16:47:48 2005 host c')).toEqual({ iso: '2005-06-21T16:47:48', rest: ' host c' });
    expect(at('Jun 21 16:47:48.250 host d')).toEqual({ iso: '2026-06-21T16:47:48', rest: ' host d' });
    expect(at('Jun 21 16:47:48 host e')).toEqual({ iso: '2026-06-21T16:47:48', rest: ' host e' });
    // A template with a back-reference (the same separator twice): its probe keeps its groups.
    expect(at('2005-06-21 16:47:48 f')).toEqual({ iso: '2005-06-21T16:47:48', rest: ' f' });
    expect(at('2005-06-21 16:47:48 g')).toEqual({ iso: '2005-06-21T16:47:48', rest: ' g' });
    const mixed = d.find('2005-06/21 16:47:48 h');
    expect(mixed === null || mixed.template.name !== d.find('2005-06-21 16:47:48 g')!.template.name).toBe(true);
  });

  it('reads a run of lines by the template that matched last: new timestamps, leading non-word characters, a date inside the match', () => {
    const run = (patterns: string[], lines: string[]) => {
      const d = new DateDetector(patterns);
      return lines.map((line) => {
        const m = d.find(line);
        if (m === null) return null;
        return `${isoLocal(dateMatchToTime(m, NOW)!)}|${line.slice(0, m.start)}|${line.slice(m.end)}`;
      });
    };
    // Each line read by a detector of its own gives what the shared one must give.
    const alone = (patterns: string[], lines: string[]) => lines.map((l) => run(patterns, [l])[0]);
    const lineStart = ['Jun 21 16:47:48 a', 'Jun 21 16:47:49 b', 'Jun 21 16:47:49 b2', '[Jun 21 16:47:50] c', '  Jun 21 16:47:51 d', 'Jun 21 16:47:52.5 e', 'Jun 21 16:47:53 2005 f', 'Jun 21 16:47:54 g'];
    expect(run(['{^LN-BEG}'], lineStart)).toEqual(alone(['{^LN-BEG}'], lineStart));
    expect(run(['{^LN-BEG}'], lineStart)[3]).toBe('2026-06-21T16:47:50|[|] c');
    const whole = ['Jun 21 16:47:48 a', 'Jun 21 16:47:49 b', 'x Jun 21 16:47:50 c', 'Jun 21 16:47:51 d', 'Jun 21 16:47:51 e'];
    expect(run([], whole)).toEqual(alone([], whole));
    const inner = ['ip - [21/Jun/2005:16:47:48 +0000] a', 'ip - [21/Jun/2005:16:47:48 +0000] b', 'ip - [21/Jun/2005:16:47:49 +0000] c', 'ipv6 - [21/Jun/2005:16:47:49 +0000] d'];
    expect(run(['^[^\\[]*\\[({DATE})'], inner)).toEqual(alone(['^[^\\[]*\\[({DATE})'], inner));
    expect(run(['^[^\\[]*\\[({DATE})'], inner)[2]).toBe('2005-06-21T16:47:49|ip - [|] c');
  });

  it('a detector can start where another with the same templates left off: same state, same dates', () => {
    const a = new DateDetector(['{^LN-BEG}']);
    a.find('Jun 21 16:47:48 host a');
    const b = a.fresh();
    expect(b.state).toEqual([-1, -1]);
    b.tryFirstLike(a);
    expect(b.state).toEqual(a.state);
    expect(b.state[0]).toBeGreaterThanOrEqual(0);
    const m = b.find('Jun 21 16:47:49 host b')!;
    expect(isoLocal(dateMatchToTime(m, NOW)!)).toBe('2026-06-21T16:47:49');
    expect(() => new DateDetector().tryFirstLike(a)).toThrow(/not the same templates/);
  });

  it('without a datepattern, takes the date that starts the line over one in its message, as fail2ban does', () => {
    // A user name of an attacker's choosing holds an older date: it must not become the failure's time.
    const line = 'Nov 21 01:00:00 host sshd[1]: Invalid user 2020-01-01 00:00:00 from 192.0.2.1';
    expect(read(line)!.iso).toBe('2026-11-21T01:00:00');
    // When the format that matched last is not in the line, the search again puts a date at the start first.
    const d = new DateDetector();
    expect(d.find('no date here')).toBeNull();
    expect(isoLocal(dateMatchToTime(d.find('job ran at 20/Nov/2026:05:00:00 ok')!, NOW)!)).toBe('2026-11-20T05:00:00');
    const next = d.find('Nov 21 01:00:01 app: report of 2026-11-20 05:00:00')!;
    expect({ index: next.index, iso: isoLocal(dateMatchToTime(next, NOW)!) }).toEqual({ index: 0, iso: '2026-11-21T01:00:01' });
    const e = new DateDetector();
    expect(isoLocal(dateMatchToTime(e.find(line)!, NOW)!)).toBe('2026-11-21T01:00:00');
  });

  it('reads epochs as fail2ban does: 10 or 11 digits, LEPOCH also milliseconds and microseconds, ^EPOCH as {^LN-BEG}EPOCH, {EPOCH} inside a pattern', () => {
    expect(read('17650692099 x', ['EPOCH'])!.iso).toBe('2529-04-30T10:01:39');
    expect(read('1119372468x', ['EPOCH'])).toBeNull();
    for (const l of ['1119372468 x', '1119372468123 x', '1119372468123456 x', '[1119372468123] x']) expect(read(l, ['LEPOCH'])!.iso, l).toBe('2005-06-21T16:47:48');
    // The line-start form lets up to two non-word characters lead; the plain one only `[` or audit's `audit(`.
    expect(read(' -1119372468 x', ['^EPOCH'])!.iso).toBe('2005-06-21T16:47:48');
    expect(read(' -1119372468 x', ['{^LN-BEG}EPOCH'])!.iso).toBe('2005-06-21T16:47:48');
    expect(read(' -1119372468 x', ['EPOCH'])).toBeNull();
    expect(read('msg=audit(1119372468.123:45): x', ['EPOCH'])).toEqual({ iso: '2005-06-21T16:47:48', rest: 'msg=audit(:45): x' });
    // {EPOCH} in an operator's pattern: the seconds there, and the whole match is the date cut out.
    expect(read('[1119372468] x', ['^\\[{EPOCH}\\]'])).toEqual({ iso: '2005-06-21T16:47:48', rest: ' x' });
    expect(read('t=1119372468123 x', ['t={LEPOCH}'])!.iso).toBe('2005-06-21T16:47:48');
  });

  it('{DATE} alone, {^LN-BEG}{DATE} and ^{DATE} take in EPOCH and TAI64N as fail2ban does; inside other text they do not', () => {
    for (const p of ['{DATE}', '{^LN-BEG}{DATE}', '^{DATE}']) {
      expect(read('1119372468 x', [p])!.iso, p).toBe('2005-06-21T16:47:48');
      expect(read('@4000000042b844be00000000 x', [p])!.iso, p).toBe('2005-06-21T16:47:58');
    }
    // fail2ban puts the name there ("^\[Epoch\]"), which reads no log; the other formats still work there.
    expect(read('[1119372468] x', ['^\\[{DATE}\\]'])).toBeNull();
    expect(read('[2005-06-21 16:47:48] x', ['^\\[{DATE}\\]'])!.iso).toBe('2005-06-21T16:47:48');
    // The tag in any case, as fail2ban matches it.
    expect(read('1119372468 x', ['{date}'])!.iso).toBe('2005-06-21T16:47:48');
  });

  it('counts the lines each format reads, named as fail2ban-regex names them; a date that moves to the line\'s start takes a line-start format again', () => {
    const d = new DateDetector();
    const hits = d.labels.map(() => 0);
    d.countInto(hits, 0);
    // domino's log: a line with a prefix before its date between two without.
    for (const l of ['03-07-2005 23:07:20 x', '[28325:00010] 22-06-2014 09:56:12 x', '08-09-2014 06:14:27 x', 'no date']) d.find(l);
    expect(Object.fromEntries(d.labels.flatMap((l, i) => (hits[i] ? [[l, hits[i]]] : [])))).toEqual({
      '{^LN-BEG}Day(?P<_sep>[-/])Month(?P=_sep)(?:ExYear|ExYear2) %k:Minute:Second': 2,
      'Day(?P<_sep>[-/])Month(?P=_sep)(?:ExYear|ExYear2) %k:Minute:Second': 1,
    });
    expect(new DateDetector(['^%Y-%m-%d', 'EPOCH', '{^LN-BEG}TAI64N', '^\\[{EPOCH}\\]']).labels).toEqual(['^Year-Month-Day', 'Epoch', '{^LN-BEG}TAI64N', '^\\[{EPOCH}\\]']);
  });

  it('reads a format in any case only where it names months, days or AM/PM, as fail2ban adds its (?iu) only then', () => {
    for (const l of ['NOV 21 01:00:00 x', 'nov 21 01:00:00 x', 'SAT NOV 21 01:00:00 x']) expect(read(l)!.iso, l).toBe('2026-11-21T01:00:00');
    expect(read('nov 21, 2026 01:00:00 am x', ['%b %d, %Y %I:%M:%S %p'])!.iso).toBe('2026-11-21T01:00:00');
    // No names: a lower-case ISO `t`, an upper-case TAI64N label, a lower-case zone abbreviation are no date.
    expect(read('2026-11-21t01:00:00 x')).toBeNull();
    expect(read('2026-11-21T01:00:00 x')!.iso).toBe('2026-11-21T01:00:00');
    expect(read('@4000000042B844BE00000000 x', ['TAI64N'])).toBeNull();
    expect(read('2026-11-21 01:00:00 cet x', ['%Y-%m-%d %H:%M:%S %Z'])).toBeNull();
    expect(read('2026-11-21 01:00:00 CET x', ['%Y-%m-%d %H:%M:%S %Z'])!.iso).toBe('2026-11-21T00:00:00');
    // An operator's own flag still counts.
    expect(read('2026-11-21t01:00:00 x', ['(?i)%Y-%m-%dT%H:%M:%S'])!.iso).toBe('2026-11-21T01:00:00');
  });

  it('returns null when no template fits', () => {
    expect(read('no date here at all')).toBeNull();
  });
});
