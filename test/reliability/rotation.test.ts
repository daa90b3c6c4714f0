import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliJson, sshdFailure, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

const TOTAL = 100_000;

interface Status { jails: Array<{ name: string; filter: { lines: number; matched: number } }> }

describe('log rotation under load (daemon, real files)', () => {
  let dir: string;
  let cfg: string;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-rotate-'));
    writeFileSync(join(dir, 'rename.log'), '');
    writeFileSync(join(dir, 'copy.log'), '');
    // maxretry is out of reach: every line is a failure and must be counted exactly once.
    const jail = (name: string) => `[${name}]\nenabled = true\nfilter = sshd\nlogpath = ${join(dir, `${name}.log`)}\nmaxretry = 1000000\nfindtime = 1d\n`;
    cfg = writeConfig(dir, { firewall: 'dry-run', jails: `[DEFAULT]\nescalation = off\n${jail('rename')}${jail('copy')}`, extra: 'loglevel = INFO\n' });
    daemon = await startDaemon(cfg, join(dir, 'bantop.sock'));
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes TOTAL failure lines in bursts, calling `rotate` at the given line counts. */
  async function flow(log: string, rotateAt: number[], rotate: (n: number) => Promise<void> | void): Promise<void> {
    let buf = '';
    for (let i = 0; i < TOTAL; i++) {
      // Distinct ports make every line distinct, so a line read twice could not hide.
      buf += sshdFailure(`10.9.${(i >> 8) & 255}.${i & 255}`, 1024 + (i % 60000));
      if ((i + 1) % 500 === 0 || rotateAt.includes(i + 1)) {
        appendFileSync(log, buf);
        buf = '';
        await new Promise((r) => setImmediate(r));
      }
      if (rotateAt.includes(i + 1)) await rotate(i + 1);
    }
    if (buf) appendFileSync(log, buf);
  }

  const counted = (jail: string) => cliJson<Status>(cfg, ['status']).jails.find((j) => j.name === jail)!.filter;

  /** Waits for every line; a failure says how many came and what the daemon noted about the rotations. */
  async function waitForAll(jail: string): Promise<void> {
    let last = 0;
    await waitFor(() => (last = counted(jail).lines) >= TOTAL, 60_000, () => {
      const notes = readFileSync(join(dir, 'daemon.log'), 'utf8').split('\n').filter((l) => l.includes(` ${jail}: `));
      return `${TOTAL} lines, ${last} came; the daemon noted:\n${notes.join('\n')}`;
    }, 100);
  }

  it('rename rotation while 100,000 lines flow (one successor at once, one a moment later): no line lost, none counted twice', async () => {
    const log = join(dir, 'rename.log');
    await flow(log, [20_000, 45_000, 70_000, 70_500], async (n) => {
      renameSync(log, `${log}.${n}`);
      if (n === 45_000) await new Promise((r) => setTimeout(r, 300)); // logrotate without `create`: the writer makes it later
    });
    await waitForAll('rename');
    await new Promise((r) => setTimeout(r, 500));
    expect(counted('rename')).toMatchObject({ lines: TOTAL, matched: TOTAL });
  }, 120_000);

  it('copytruncate while 100,000 lines flow (twice in quick succession once): no line lost, none counted twice', async () => {
    const log = join(dir, 'copy.log');
    await flow(log, [20_000, 45_000, 45_500, 70_000], (n) => {
      copyFileSync(log, `${log}.${n}`);
      truncateSync(log, 0);
    });
    await waitForAll('copy');
    await new Promise((r) => setTimeout(r, 500));
    expect(counted('copy')).toMatchObject({ lines: TOTAL, matched: TOTAL });
  }, 120_000);
});
