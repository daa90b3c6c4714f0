import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLOBAL_OPTIONS } from '../../src/cli/argv.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'bin', 'bantop');
const ASSETS = join(ROOT, 'assets', 'config');
const LINE = 'Jun 21 16:47:48 web1 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2';
// Node warns at start, before any JavaScript, when it reads a NODE_EXTRA_CA_CERTS that does not exist: the
// warning shows whether the process was started with the variable.
const MISSING_CA = '/nonexistent/bantop-test-ca.pem';
const CA_WARNING = 'Ignoring extra certs';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bantop-bin-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(bin: string, ...args: string[]) {
  const r = spawnSync(bin, args, {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC', NODE_EXTRA_CA_CERTS: MISSING_CA, PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}` },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('bin/bantop, the installed command', () => {
  it('package.json installs it as bantop', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
    expect(pkg.bin['bantop']).toBe('bin/bantop');
    expect(pkg.files).toContain('bin');
  });

  it('skips the values of exactly the options bantop gives a value', () => {
    const script = readFileSync(SCRIPT, 'utf8');
    const line = script.split('\n').find((l) => /^\s*--config\|/.test(l));
    const inScript = line!.trim().replace(/\)\s*skip=1\s*;;$/, '').split('|').map((o) => o.replace(/^--/, '')).sort();
    const valued = Object.entries(GLOBAL_OPTIONS).filter(([, kind]) => kind === 'value').map(([name]) => name).sort();
    expect(inScript).toEqual(valued);
  });

  it('runs bantop regex without NODE_EXTRA_CA_CERTS, with the same result', () => {
    const r = run(SCRIPT, '--config', ASSETS, '--json', 'regex', LINE, 'sshd');
    expect(r.code).toBe(0);
    expect(r.err).not.toContain(CA_WARNING);
    expect(JSON.parse(r.out)).toMatchObject({ lines: 1, matched: 1, matches: [{ line: 1, host: '203.0.113.9', ip: '203.0.113.9' }] });
  });

  it('finds the command after options with values, after --opt=value and after --', () => {
    for (const args of [['--config', ASSETS, 'regex', LINE, 'sshd'], [`--config=${ASSETS}`, 'regex', LINE, 'sshd'], [`--config=${ASSETS}`, '--', 'regex', LINE, 'sshd']]) {
      const r = run(SCRIPT, ...args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.err, args.join(' ')).not.toContain(CA_WARNING);
    }
  });

  it('keeps the variable for the daemon, which may connect to a rediss:// fleet server', () => {
    // serve --help prints the usage and exits: the process started as the daemon would.
    const r = run(SCRIPT, '--config', ASSETS, 'serve', '--help');
    expect(r.code).toBe(0);
    expect(r.err).toContain(CA_WARNING);
    // A value that reads as a command word is still a value.
    expect(run(SCRIPT, '--jail', 'regex', 'serve', '--help').err).toContain(CA_WARNING);
  });

  it('works through a symlink, as npm install -g puts it on PATH', () => {
    const link = join(dir, 'bantop');
    symlinkSync(SCRIPT, link);
    const r = run(link, '--config', ASSETS, 'regex', LINE, 'sshd');
    expect(r.code).toBe(0);
    expect(r.out).toContain("1 matched");
    expect(run(link, '--version').out).toBe('bantop 0.1.0\n');
  });
});
