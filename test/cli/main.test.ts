import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'dist', 'cli', 'main.js');
const ASSETS = join(ROOT, 'assets', 'config');

function bantop(...args: string[]) {
  return bantopEnv({}, ...args);
}

/**
 * The time bantop gives a syslog date without a year ("Jun 21 16:47:48") when run now, in UTC (bantopEnv):
 * this year, or the last one when that is more than a day ahead, as fail2ban reads it. A year written into
 * the expectation would fail from the day the rule turns (2027-06-20 for Jun 21).
 */
function yearless(monthDayTime: string): string {
  const now = Date.now();
  const year = new Date(now).getUTCFullYear();
  return `${Date.parse(`${year}-${monthDayTime}Z`) > now + 86_400_000 ? year - 1 : year}-${monthDayTime}`;
}

function bantopEnv(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, TZ: 'UTC', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bantop-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bantop regex (the contract)', () => {
  it('prints exactly one JSON object for a single log line', () => {
    const r = bantop('--config', ASSETS, '--json', 'regex', 'Jun 21 16:47:48 web1 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2', 'sshd');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      lines: 1, matched: 1, ignored: 0, missed: 0,
      matches: [{ line: 1, host: '203.0.113.9', ip: '203.0.113.9', time: yearless('06-21T16:47:48'), user: 'root' }],
    });
    expect(r.out.trim().split('\n')).toHaveLength(1);
  });

  it('skips a failure line with a NUL character in a file (binary junk), and only that line', () => {
    const log = join(dir, 'nul.log');
    const fail = (ip: string, extra = '') => `Jun 21 16:47:48 web1 sshd[1]: Failed password for root${extra} from ${ip} port 22 ssh2`;
    writeFileSync(log, [fail('203.0.113.1'), fail('203.0.113.2', '\u0000'), fail('203.0.113.3')].join('\n') + '\n');
    const r = bantop('--config', ASSETS, '--json', 'regex', log, 'sshd');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect([out.lines, out.matched, out.missed]).toEqual([3, 2, 1]);
    expect(out.matches.map((m: { host: string }) => m.host)).toEqual(['203.0.113.1', '203.0.113.3']);
  });

  it('--json with matches beyond memory\'s first block: the same output with one thread or two, and a clear error where no temporary file can be made', () => {
    const log = join(dir, 'spill.log');
    // 30,000 matches of ~130 bytes: 4 MB of JSON, so full blocks go to the spill file in both threads.
    writeFileSync(log, Array.from({ length: 30_000 }, (_, i) => `Jun 21 16:47:48 web1 sshd[${i}]: Failed password for user${i} from 203.0.${(i >> 8) & 255}.${i & 255} port 22 ssh2`).join('\n') + '\n');
    const one = bantopEnv({ BANTOP_PARALLEL_MIN_BYTES: '999999999999' }, '--config', ASSETS, '--json', 'regex', log, 'sshd');
    const two = bantopEnv({ BANTOP_PARALLEL_MIN_BYTES: '0' }, '--config', ASSETS, '--json', 'regex', log, 'sshd');
    expect(one.code).toBe(0);
    expect(two.out).toBe(one.out);
    const out = JSON.parse(one.out);
    expect(out.matches).toHaveLength(30_000);
    expect(out.matches[29_999]).toMatchObject({ line: 30_000, host: '203.0.117.47', user: 'user29999' });
    for (const threads of ['999999999999', '0']) {
      const r = bantopEnv({ BANTOP_PARALLEL_MIN_BYTES: threads, TMPDIR: join(dir, 'missing') }, '--config', ASSETS, '--json', 'regex', log, 'sshd');
      expect(r.code).toBe(2);
      expect(r.err).toContain('--json: cannot make a temporary file for the matches in');
      expect(r.err).toContain('set TMPDIR to a writable directory');
    }
  }, 60_000);

  it('ends quietly when the reader of its output stops early (| head)', () => {
    const log = join(dir, 'many.log');
    writeFileSync(log, Array.from({ length: 5000 }, (_, i) => `Jun 21 16:47:48 web1 sshd[${i}]: Failed password for root from 203.0.113.${i % 200} port 22 ssh2`).join('\n') + '\n');
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" --config "${ASSETS}" --json regex "${log}" sshd | head -c 10`], { encoding: 'utf8' });
    expect(r.stdout).toBe('{"lines":5');
    expect(r.stderr).toBe('');
  });

  it('reads a file through one filter instance, numbering lines from 1, with null time for undated lines', () => {
    const log = join(dir, 'auth.log');
    writeFileSync(log, [
      'Jun 21 16:47:48 web1 sshd[7]: Connection from 203.0.113.9 port 4711 on 192.0.2.1 port 22',
      'Jun 21 16:47:49 web1 sshd[7]: Disconnecting: Too many authentication failures [preauth]',
      'noise',
      'web1 sshd[8]: Invalid user bob from ::ffff:198.51.100.4 port 1',
    ].join('\n') + '\n');
    const r = JSON.parse(bantop('--config', ASSETS, '--json', 'regex', log, 'sshd').out);
    expect(r).toMatchObject({ lines: 4, matched: 2, ignored: 1, missed: 1 });
    expect(r.matches).toEqual([
      { line: 2, host: '203.0.113.9', ip: '203.0.113.9', time: yearless('06-21T16:47:49') },
      { line: 4, host: '198.51.100.4', ip: '198.51.100.4', time: null, user: 'bob' },
    ]);
  });

  it('accepts filter options, a .conf path and a raw regex', () => {
    const line = 'Jun 21 16:47:48 web1 sshd[1]: Did not receive identification string from 203.0.113.9 port 1';
    expect(JSON.parse(bantop('--config', ASSETS, '--json', 'regex', line, 'sshd').out).matched).toBe(0);
    expect(JSON.parse(bantop('--config', ASSETS, '--json', 'regex', line, 'sshd[mode=ddos]').out).matched).toBe(1);
    expect(JSON.parse(bantop('--json', 'regex', line, join(ASSETS, 'filter.d', 'sshd.conf')).out).matched).toBe(0);
    const raw = JSON.parse(bantop('--json', 'regex', line, 'identification string from <HOST>').out);
    expect(raw.matches[0]).toMatchObject({ host: '203.0.113.9', time: yearless('06-21T16:47:48') });
  });

  it('takes --datepattern, --maxlines and an IGNOREREGEX over the filter, and refuses bad ones with exit 2', () => {
    const log = join(dir, 'opts.log');
    writeFileSync(log, '2026/11/21-12:00:01 auth: login failed for root\n2026/11/21-12:00:02 auth: client 203.0.113.4\n2026/11/21-12:00:03 auth: client 10.0.0.5\n');
    const run = (...a: string[]) => JSON.parse(bantop('--json', 'regex', ...a).out) as { matched: number; ignored: number; matches: Array<{ ip: string; time: string }> };
    const r = run('--datepattern', '^%Y/%m/%d-%H:%M:%S', '--maxlines', '2', log, '^ auth: login failed for \\S+\\n auth: client <HOST>$');
    expect(r.matches).toEqual([{ line: 2, host: '203.0.113.4', ip: '203.0.113.4', time: '2026-11-21T12:00:02' }]);
    expect(run('--datepattern', '^%Y/%m/%d-%H:%M:%S', log, 'client <HOST>$', 'client 10\\.')).toMatchObject({ matched: 1, ignored: 1 });
    for (const [args, message] of [
      [['--maxlines', 'two', log, 'client <HOST>$'], /--maxlines: "two" is not a number of lines/],
      [['--maxlines', '1e1', log, 'client <HOST>$'], /--maxlines: "1e1" is not a number of lines/],
      [['--datepattern', '%Q', log, 'client <HOST>$'], /--datepattern: datepattern "%Q": unknown date directive %Q/],
      [[log, 'client <HOST>$', '(open'], /IGNOREREGEX: cannot translate regex/],
      [[log, 'client <HOST>$', 'x', 'y'], /give LOG, FILTER and at most an IGNOREREGEX/],
    ] as const) {
      const bad = bantop('regex', ...args);
      expect(bad.code, bad.err).toBe(2);
      expect(bad.err).toMatch(message);
    }
  });

  it('prints a readable summary with the hits by regex and the top hosts', () => {
    const log = join(dir, 'many.log');
    writeFileSync(log, Array.from({ length: 5 }, (_, i) => `Jun 21 16:47:4${i} h sshd[1]: Failed password for root from 203.0.113.${i % 2} port 1 ssh2`).join('\n') + '\n');
    const r = bantop('--config', ASSETS, 'regex', log, 'sshd');
    // As fail2ban-regex lists them: the prefregex's lines, then by the regex's place in the filter, only those that took a line.
    expect(r.out).toMatch(/\n\nPrefregex: 5 total\n\|  \^<F-MLFID>.*\n`-\n\nFailregex: 5 total\n\|-  #\) \[# of hits\] regular expression\n\|   \d\) \[5\] \^Failed \S+ for .*\n`-\n\nIgnoreregex: 0 total\n\n/);
    expect(r.out).toContain('Lines: 5 lines, 0 ignored, 5 matched, 0 missed');
    expect(r.out).toMatch(/Top hosts \(2 distinct\):\n\s+3\s+203\.0\.113\.0\n\s+2\s+203\.0\.113\.1/);
  });

  it('gives the same summary and JSON with a second thread started by the entry as with one thread', async () => {
    const { GENERATORS, writeLog } = await import('../../bench/gen-logs.mjs');
    const log = join(dir, 'big.log');
    await writeLog(log, GENERATORS['sshd'], 60_000);
    const one = { BANTOP_PARALLEL_MIN_BYTES: String(2 ** 40) };
    const two = { BANTOP_PARALLEL_MIN_BYTES: '0' };
    for (const args of [['regex', log, 'sshd'], ['--json', 'regex', log, 'sshd[mode=aggressive]']]) {
      const a = bantopEnv(one, '--config', ASSETS, ...args);
      const b = bantopEnv(two, '--config', ASSETS, ...args);
      expect(a.code).toBe(0);
      expect(b.code).toBe(0);
      expect(b.err).toBe('');
      expect(b.out).toBe(a.out);
    }
    expect(bantopEnv(one, '--config', ASSETS, 'regex', log, 'sshd').out).toMatch(/Lines: 60000 lines, \d+ ignored, [1-9]\d* matched/);
    // A filter that fails to load ends the command even with a second thread waiting for its task.
    const bad = bantopEnv(two, '--config', ASSETS, 'regex', log, '/nonexistent/filter.conf');
    expect(bad.code).toBe(2);
  });

  it('keeps V8\'s backtrack budget for its regexes, on one line and with a second thread on a file', () => {
    // (?:a+)+ backtracks 2^40 times on this line without the budget: the run would never end.
    const evil = '^(?:a+)+b from <HOST>$';
    const line = `${'a'.repeat(40)} from 203.0.113.9`;
    const log = join(dir, 'evil.log');
    writeFileSync(log, `${line}\n`.repeat(2000));
    for (const [env, args] of [[{}, ['regex', line, evil]], [{ BANTOP_PARALLEL_MIN_BYTES: '0' }, ['regex', log, evil]]] as const) {
      const r = spawnSync(process.execPath, [BIN, '--json', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
      expect(r.signal, `${args.join(' ')}: ${r.stderr}`).toBeNull();
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ matched: 0, missed: args[1] === line ? 1 : 2000 });
    }
  });

  it('fails clearly on an untranslatable regex or a missing filter file', () => {
    const bad = bantop('--json', 'regex', 'x', '(?P<a>x)(?P<a>y)');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/cannot translate regex: group name "a" is used twice/);
    const missing = bantop('regex', 'x', '/nonexistent/filter.conf');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/filter file \/nonexistent\/filter\.conf not found/);
  });

  it('refuses, as fail2ban-regex does, a failregex that names no host (a mistyped filter name, a raw regex, a filter file) and a datepattern it cannot read', () => {
    const line = 'Jun 21 16:47:48 web1 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2';
    // Not in filter.d, so taken as a regex: without the refusal it ran and matched nothing.
    const typo = bantop('--config', ASSETS, 'regex', line, 'sshdd');
    expect(typo.code).toBe(2);
    expect(typo.out).toBe('');
    expect(typo.err).toContain('FILTER "sshdd" is taken as a failregex, and it has no failure-id group');
    expect(typo.err).toContain(`no filter "sshdd" in ${join(ASSETS, 'filter.d')}`);
    expect(bantop('regex', line, 'Failed password for \\S+').code).toBe(2);
    // An <F-ID> names the failure as a host does.
    expect(JSON.parse(bantop('--json', 'regex', line, 'Failed password for <F-ID>\\S+</F-ID>').out).matches[0].host).toBe('root');
    // In a filter file: its file, line and key; a prefregex with <F-MLFID> vouches for its failregexes (fail2ban's rule).
    const cfg = join(dir, 'nohost');
    cpSync(ASSETS, cfg, { recursive: true });
    writeFileSync(join(cfg, 'filter.d', 'nohost.conf'), '[Definition]\nfailregex = ^\\S+ from <HOST>$\n            ^Too many failures$\n');
    const file = bantop('--config', cfg, 'regex', line, 'nohost');
    expect(file.code).toBe(2);
    expect(file.err.split('\n')[0]).toBe(`bantop: ${join(cfg, 'filter.d', 'nohost.conf')}:line 2 [failregex #2]: filter "nohost": ^Too many failures$ has no failure-id group, so a match would name no host`);
    writeFileSync(join(cfg, 'filter.d', 'nohost.conf'), '[Definition]\nprefregex = ^<F-MLFID>\\S+</F-MLFID> <F-CONTENT>.+</F-CONTENT>$\nfailregex = ^Too many failures$\n');
    expect(bantop('--config', cfg, '--json', 'regex', 'x Too many failures', 'nohost')).toMatchObject({ code: 0, err: '' });
    // A datepattern fail2ban refuses ("Failed to set datepattern"): before, an internal error with a stack.
    writeFileSync(join(cfg, 'filter.d', 'baddate.conf'), '[Definition]\nfailregex = from <HOST>$\ndatepattern = %%Y-%%m-%%d %%Q\n');
    const date = bantop('--config', cfg, 'regex', '2020-01-02 x from 203.0.113.9', 'baddate');
    expect(date.code).toBe(2);
    expect(date.err.split('\n')[0]).toBe(`bantop: ${join(cfg, 'filter.d', 'baddate.conf')}:line 3 [datepattern]: filter "baddate": datepattern "%Y-%m-%d %Q": unknown date directive %Q`);
    expect(date.err).not.toMatch(/internal error|\n {4}at /);
    // A host is what the log wrote: an <F-ID> with an escape sequence is shown as symbols, not sent to the terminal.
    const esc = bantop('regex', 'x user \x1b[2Jevil', 'user <F-ID>.*</F-ID>');
    expect(esc.out).toContain('  1  \u241b[2Jevil');
    expect(esc.out).not.toContain('\x1b');
    // A mode the filter lacks leaves its tag in the regex: the hint names it.
    const mode = bantop('--config', ASSETS, 'regex', line, 'postfix[mode=nosuch]');
    expect(mode.code).toBe(2);
    expect(mode.err).toContain('no option sets "failre-nosuch"');
  });
});

describe('bantop config check and errors', () => {
  it('exits 2 naming file, line and key for a malformed config', () => {
    const cfg = join(dir, 'cfg');
    cpSync(ASSETS, cfg, { recursive: true });
    writeFileSync(join(cfg, 'jail.local'), '[sshd]\nfindtime = soon\n');
    const r = bantop('--config', cfg, 'config', 'check');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${cfg}/jail.local:line 2 [findtime]: not a duration: "soon"`);
    expect(r.err).not.toMatch(/at .*\.js:\d+/);
  });

  it('lists the enabled jails as JSON', () => {
    const cfg = join(dir, 'cfg2');
    cpSync(ASSETS, cfg, { recursive: true });
    writeFileSync(join(cfg, 'jail.local'), `[sshd]\nlogpath = ${cfg}/jail.conf\n`);
    const r = bantop('--config', cfg, '--json', 'config', 'check');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).jails.map((j: { name: string }) => j.name)).toEqual(['sshd']);
  });

  it('refuses unknown commands and options with exit 2', () => {
    expect(bantop('frobnicate').code).toBe(2);
    const r = bantop('--bogus', 'regex');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown option --bogus');
    // fail2ban-regex's habits: -v was taken for a one-line log, and the log for a failregex.
    const v = bantop('regex', '-v', join(dir, 'nothing.log'), 'sshd');
    expect(v.code).toBe(2);
    expect(v.err).toContain('bantop: unknown option -v\n  try: bantop\'s options are long ones (run "bantop --help"); put -- before an argument that starts with -');
    expect(bantop('-h').out).toContain('usage: bantop');
  });

  it('refuses a bad --demo-rate with exit 2 before it touches the terminal', () => {
    for (const [args, msg] of [[['--demo', '--demo-rate', 'fast'], '--demo-rate: '], [['--demo', '--demo-rate', '0'], '--demo-rate: '], [['--demo-rate', '50'], '--demo-rate goes with --demo']] as const) {
      const r = bantop(...args);
      expect(r.code).toBe(2);
      expect(r.err).toContain(msg);
    }
  });
});
