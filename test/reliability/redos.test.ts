import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliJson, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

describe('a filter with a catastrophic regex (daemon)', () => {
  let dir: string;
  let cfg: string;
  let log: string;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-redos-'));
    log = join(dir, 'app.log');
    writeFileSync(log, '');
    cfg = writeConfig(dir, {
      firewall: 'dry-run',
      jails: `[DEFAULT]\nescalation = off\n[app]\nenabled = true\nfilter = evil\nlogpath = ${log}\nmaxretry = 1\n` +
        `[app2]\nenabled = true\nfilter = evil2\nlogpath = ${join(dir, 'other.log')}\n`,
    });
    // Our own filter.d, not the shipped one the helper links in.
    unlinkSync(join(cfg, 'filter.d'));
    mkdirSync(join(cfg, 'filter.d'));
    // `(?:a+)+` backtracks 2^n times on "aaaa…!"; the second also has a lookahead, so V8 cannot take it over.
    writeFileSync(join(cfg, 'filter.d', 'evil.conf'), '[Definition]\nfailregex = ^(?:a+)+ from <HOST>$\n');
    writeFileSync(join(cfg, 'filter.d', 'evil2.conf'), '[Definition]\nfailregex = ^(?=x)(?:x+)+ from <HOST>$\n');
    daemon = await startDaemon(cfg, join(dir, 'bantop.sock'));
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is flagged at load, naming the filter file and regex, in config check and the daemon log', () => {
    const r = cli(cfg, ['config', 'check']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/warning: jail "app": .*evil\.conf: failregex nests unbounded repetition \(\(\?:a\+\)\+\).*linear-time engine/);
    expect(r.stdout).toMatch(/warning: jail "app2": .*evil2\.conf: failregex nests unbounded repetition.*only the line cap \(maxlinelen 10000\) bounds it/);
    expect(readFileSync(join(dir, 'daemon.log'), 'utf8')).toMatch(/WARNING +jail "app": .*evil\.conf: failregex nests/);
  });

  it('cannot stall the engine: long hostile lines pass in bounded time and the next attacker is still banned', async () => {
    const t0 = Date.now();
    // Each would take longer than the age of the universe to fail by backtracking.
    for (let i = 0; i < 20; i++) appendFileSync(log, `${'a'.repeat(5000 + i)}!\n`);
    appendFileSync(log, `${'a'.repeat(2_000_000)}!\n`); // over maxlinelen: cut first
    appendFileSync(log, 'aaa from 10.30.0.1\n');
    await waitFor(() => cliJson<Array<{ ip: string }>>(cfg, ['list']).some((b) => b.ip === '10.30.0.1'), 20_000, 'the ban after the hostile lines', 100);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(daemon!.proc.exitCode).toBeNull();
  }, 60_000);
});
