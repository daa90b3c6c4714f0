import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliJson, REPO, sshdFailure, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

/**
 * The corpus: one JSON object per line, `line` (text, `{date}` for now) or `hex` (raw bytes). Each line
 * gets its own sshd pid: one pid is one connection, and lines of one connection share what they
 * captured (fail2ban's <F-MLFID> sessions), so a shared pid would let one line's address name another's.
 */
function corpus(): Buffer[] {
  const date = sshdFailure('192.0.2.1').slice(0, 15);
  return readFileSync(join(REPO, 'test', 'reliability', 'corpus', 'hostile-lines.jsonl'), 'utf8').split('\n').filter(Boolean).map((l, i) => {
    const e = JSON.parse(l) as { line?: string; hex?: string };
    const bytes = e.line !== undefined ? Buffer.from(e.line.replaceAll('{date}', date)) : Buffer.from(e.hex!, 'hex');
    return Buffer.from(bytes.toString('latin1').replace('sshd[4242]', `sshd[${5000 + i}]`), 'latin1');
  });
}

/** What the shipped sshd filter may ban from the corpus: each line's real source, nothing an attacker wrote. */
const EXPECTED = ['10.20.0.1', '10.20.0.2', '10.20.0.3', '10.20.0.4', '10.20.0.5', '10.20.0.6', '10.20.0.8', '2001:db8::1'];
const SENTINEL = '10.20.0.99';

interface Status { jails: Array<{ name: string; filter: { lines: number; binary: number; truncated: number; invalidAddress: number } }> }

describe('hostile log lines (daemon, real file)', () => {
  let dir: string;
  let cfg: string;
  let log: string;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-hostile-'));
    log = join(dir, 'auth.log');
    writeFileSync(log, '');
    cfg = writeConfig(dir, {
      firewall: 'dry-run',
      jails: `[DEFAULT]\nescalation = off\n[sshd]\nenabled = true\nlogpath = ${log}\nmaxretry = 1\nfindtime = 1d\nbantime = 1d\n`,
    });
    daemon = await startDaemon(cfg, join(dir, 'bantop.sock'));
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binary junk, 1 MB lines, invalid UTF-8, ANSI escapes, injections and IPv6 edge forms: nothing crashes, and only each line\'s real source is banned', async () => {
    const lines = corpus();
    const date = sshdFailure('192.0.2.1').slice(0, 15);
    // A megabyte before the address: the line cap cuts it off, so 8.8.8.8 is never seen.
    lines.push(Buffer.from(`${date} web1 sshd[1]: Failed password for ${'A'.repeat(1 << 20)} from 8.8.8.8 port 22 ssh2`));
    // A megabyte without a newline-free break of any kind, and a megabyte of random bytes.
    lines.push(Buffer.alloc(1 << 20, 'x'));
    const rnd = Buffer.alloc(1 << 20);
    for (let i = 0; i < rnd.length; i++) rnd[i] = (i * 2654435761) >>> 24;
    lines.push(rnd);
    for (const l of lines) appendFileSync(log, Buffer.concat([l, Buffer.from('\n')]));
    appendFileSync(log, sshdFailure(SENTINEL));

    const banned = () => cliJson<Array<{ ip: string }>>(cfg, ['list']).map((b) => b.ip);
    await waitFor(() => banned().includes(SENTINEL), 20_000, 'the sentinel ban after the corpus', 100);
    expect(banned().filter((ip) => ip !== SENTINEL).sort()).toEqual([...EXPECTED].sort());

    const s = cliJson<Status>(cfg, ['status']).jails.find((j) => j.name === 'sshd')!.filter;
    expect(s.binary).toBeGreaterThanOrEqual(2);
    expect(s.truncated).toBeGreaterThanOrEqual(3);
    expect(s.invalidAddress).toBeGreaterThanOrEqual(4);
    expect(daemon!.proc.exitCode).toBeNull();
  }, 60_000);
});
