import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveFilter } from '../../src/config/filter-def.js';
import { loadConfig } from '../../src/config/load.js';
import { CompiledRegex } from '../../src/filter/compiled-regex.js';
import { Filter } from '../../src/filter/filter.js';
import { regexRisk } from '../../src/filter/regex-risk.js';
import { normalizeIp } from '../../src/util/ip.js';
import { ConfigError, isUserError } from '../../src/util/errors.js';
import { REPO } from '../support/daemon.js';
// The same seeded generator as the generated logs.
import { rng } from '../../bench/gen-logs.mjs';

/**
 * Bounded fuzzing: mutate real inputs for a fixed time and check that every
 * outcome is a result or a user error that names its place, never a crash,
 * never a hang. The seed is printed with any failure; BANTOP_FUZZ_SEED replays it.
 */
const SECONDS = Number(process.env.BANTOP_FUZZ_SECONDS ?? 4);
const SEED = Number(process.env.BANTOP_FUZZ_SEED ?? Date.now() % 1e9);

const SPECIAL = ['[', ']', '=', ':', '%(', ')s', '<', '>', '\n', '\n ', ';', '#', '\t', '\\', '(?P<', '(?', '|', '*', '+', '{', '}', '$', '^', '.', ' from ', '::', '%', '\u0000', '\u001b[2J', '\uFFFD', 'é'];

function mutate(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = Math.floor(r() * 5);
    if (op === 0) s = s.slice(0, at) + SPECIAL[Math.floor(r() * SPECIAL.length)] + s.slice(at);
    else if (op === 1) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
    else if (op === 2) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x250)) + s.slice(at + 1);
    else if (op === 3) { const b = Math.floor(r() * s.length); s = s.slice(0, at) + s.slice(b, b + Math.floor(r() * 40)) + s.slice(at); }
    else s = s.slice(0, at) + s.slice(at).replace(/\d/, String(Math.floor(r() * 10)));
  }
  return s;
}

/** Runs `body` with fresh randomness until the time is up; returns the iteration count. */
function fuzz(body: (r: () => number, i: number) => void): number {
  const r: () => number = rng(SEED);
  const until = Date.now() + SECONDS * 1000;
  let i = 0;
  for (; Date.now() < until; i++) body(r, i);
  return i;
}

const work = mkdtempSync(join(tmpdir(), 'bantop-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe(`fuzz (${SECONDS} s each, seed ${SEED})`, () => {
  it('the config loader: every mutated jail.conf loads or fails with a user error naming a file, never a crash or a hang', () => {
    const dir = join(work, 'cfg');
    cpSync(join(REPO, 'assets', 'config'), dir, { recursive: true });
    const seeds = [readFileSync(join(dir, 'jail.conf'), 'utf8')];
    if (existsSync('/etc/fail2ban/jail.conf')) seeds.push(readFileSync('/etc/fail2ban/jail.conf', 'utf8'));
    seeds.push('[DEFAULT]\na = %(b)s\nb = x\n[sshd]\nenabled = true\nlogpath = /dev/null\nmaxretry = %(a)s\nfilter = sshd[mode=aggressive]\n');
    let loaded = 0;
    let refused = 0;
    const n = fuzz((r, i) => {
      const text = mutate(seeds[i % seeds.length]!, r);
      writeFileSync(join(dir, 'jail.conf'), text);
      const began = Date.now();
      try {
        loadConfig(dir);
        loaded++;
      } catch (e) {
        if (!(e instanceof ConfigError) || !e.location.file) {
          throw new Error(`seed ${SEED}, iteration ${i}: ${(e as Error).stack}\n--- input ---\n${text.slice(0, 2000)}`);
        }
        refused++;
      }
      expect(Date.now() - began, `seed ${SEED}, iteration ${i}: slow`).toBeLessThan(2000);
    });
    expect(n).toBeGreaterThan(50);
    expect(loaded + refused).toBe(n);
    expect(refused).toBeGreaterThan(0);
  }, (SECONDS + 30) * 1000);

  it('the filter engine: mutated sshd lines never throw, and a failure\'s address is always one the log wrote', () => {
    const spec = resolveFilter(join(REPO, 'assets', 'config'), { name: 'sshd', args: { mode: 'aggressive' }, where: { file: 'fuzz', key: 'filter' } }).spec;
    const filter = new Filter(spec);
    const base = [
      'Nov 21 10:00:00 web1 sshd[4242]: Failed password for root from 10.0.0.1 port 22 ssh2',
      'Nov 21 10:00:00 web1 sshd[4242]: Invalid user admin from 2001:db8::7 port 4242',
      'Nov 21 10:00:00 web1 sshd[4242]: Connection closed by authenticating user root 10.0.0.2 port 22 [preauth]',
      'Nov 21 10:00:00 web1 sshd[4242]: error: maximum authentication attempts exceeded for root from 10.0.0.3 port 22 ssh2 [preauth]',
    ];
    let failures = 0;
    const history: string[] = [];
    const n = fuzz((r, i) => {
      const line = mutate(base[i % base.length]!, r);
      history.push(line);
      const began = performance.now();
      const v = filter.processLine(line, Date.now());
      expect(performance.now() - began, `seed ${SEED}, iteration ${i}: slow line ${JSON.stringify(line)}`).toBeLessThan(500);
      if (v.kind === 'failure' && v.failure.ip !== null) {
        failures++;
        // The address must be written in the log (raw host) and normalise to the reported ip. Usually it is
        // in this line; a session (sshd[pid]) lends a later line of it the address an earlier line gave, as in fail2ban.
        const h = v.failure.host;
        expect(line.includes(h) || history.some((l) => l.includes(h)), `seed ${SEED}: ${JSON.stringify(line)}`).toBe(true);
        expect(normalizeIp(v.failure.host.replace(/^::ffff:/i, ''))).toBe(v.failure.ip);
      }
    });
    expect(n).toBeGreaterThan(1000);
    expect(failures).toBeGreaterThan(0);
  }, (SECONDS + 30) * 1000);

  it('the regex translator: mutated fail2ban regexes compile or fail with a user error, and what compiles runs', () => {
    const patterns = [
      String.raw`^Failed \S+ for (?P<cond_inv>invalid user )?<F-USER>(?P<cond_user>\S+)|(?(cond_inv)(?:(?! from ).)*?|[^:]+)</F-USER> from <HOST>(?: port \d+)?(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)`,
      String.raw`^(?:\[\]\s+)?<HOST> -.*"(GET|POST|HEAD).*HTTP.*" (?:404|444|403|400) .+$`,
      String.raw`^%(__prefix_line)s(?:error: PAM: )?[aA]uthentication (?:failure|error|failed) for .* from <HOST>( via \S+)?\s*$`,
      String.raw`(?i)^\s*user (?P<user>\w+)(?P=user) from <ADDR>\Z`,
    ];
    let compiled = 0;
    const n = fuzz((r, i) => {
      const p = mutate(patterns[i % patterns.length]!, r);
      let re: CompiledRegex;
      try {
        re = new CompiledRegex(p);
      } catch (e) {
        if (isUserError(e) || e instanceof SyntaxError) return;
        throw new Error(`seed ${SEED}, iteration ${i}: ${(e as Error).stack}\n--- pattern ---\n${p}`);
      }
      compiled++;
      // What the load-time check warns about and V8 cannot hand to its linear engine is
      // bounded by the line cap only; it is the warning's job, not this run's.
      const risk = regexRisk(re.re.source);
      if (risk?.unbounded) return;
      const began = performance.now();
      re.exec('Failed password for root from 10.0.0.1 port 22 ssh2');
      re.exec('10.0.0.1 - - "GET /x HTTP/1.1" 404 1');
      expect(performance.now() - began, `seed ${SEED}, iteration ${i}: slow ${JSON.stringify(p)}`).toBeLessThan(500);
    });
    expect(n).toBeGreaterThan(500);
    expect(compiled).toBeGreaterThan(0);
  }, (SECONDS + 30) * 1000);
});
