import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFailures, cliJson, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { createLab, netnsSkipReason, nftAddresses, type Lab } from '../support/netns.js';
import { waitFor } from '../support/wait.js';
import { skipNote } from '../support/skip-note.js';

interface Status { store: { error: string | null; unsaved: number }; warnings: string[] }

/** Fills a file system to the last byte; returns the filler's path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  // The last partial chunk: byte by byte is slow, 4 KiB at a time is enough for tmpfs pages.
  try {
    for (;;) writeSync(fd, chunk.subarray(0, 4096));
  } catch { /* full */ }
  closeSync(fd);
  return path;
}

const mountSkip = process.getuid?.() !== 0 ? 'needs root to mount a small tmpfs' : null;
const skip = mountSkip ?? netnsSkipReason(['nft']);
describe.skipIf(skip !== null)(`disk full on the state directory${skipNote(skip)}`, () => {
  let lab: Lab;
  let dir: string;
  let state: string;
  let cfg: string;
  let log: string;
  let mounted = false;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    lab = createLab();
    dir = mkdtempSync(join(tmpdir(), 'bantop-full-'));
    state = join(dir, 'state');
    mkdirSync(state);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', state], { encoding: 'utf8' });
    if (m.status !== 0) throw new Error(`mount: ${m.stderr}`);
    mounted = true;
    log = join(dir, 'auth.log');
    writeFileSync(log, '');
    cfg = writeConfig(dir, {
      firewall: 'nftables',
      jails: `[DEFAULT]\nescalation = off\n[sshd]\nenabled = true\nport = 22\nlogpath = ${log}\nmaxretry = 1\nbantime = 1d\n`,
    });
    // The state (database, ban log, blocklist) on the small file system; the daemon's own log beside it.
    const conf = join(cfg, 'bantop.conf');
    writeFileSync(conf, readFileSync(conf, 'utf8')
      .replace(/^dbfile = .*$/m, `dbfile = ${join(state, 'bantop.sqlite3')}`)
      .replace(/^banlog = .*$/m, `banlog = ${join(state, 'bans.log')}`)
      .replace(/^blocklist = .*$/m, `blocklist = ${join(state, 'blocklist')}`));
    daemon = await startDaemon(cfg, join(dir, 'bantop.sock'), { netns: lab.host });
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    lab?.cleanup();
    if (mounted) spawnSync('umount', [state]);
    rmSync(dir, { recursive: true, force: true });
  });

  const ip = (i: number) => `10.66.${i >> 8}.${i & 255}`;
  const banned = () => new Set(nftAddresses(lab.host).keys());
  const rows = () => {
    const db = new Database(join(state, 'bantop.sqlite3'), { readonly: true });
    try {
      return {
        bans: (db.prepare('SELECT count(*) AS n FROM bantop_bans').get() as { n: number }).n,
        integrity: (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check,
      };
    } finally {
      db.close();
    }
  };

  it('keeps enforcing its bans while the disk is full, bans newcomers, reports the error, saves everything when space returns, and never corrupts the database', async () => {
    for (let i = 0; i < 20; i++) appendFailures(log, ip(i), 1);
    await waitFor(() => rows().bans === 20, 10_000, 'the first 20 bans stored');

    const filler = fill(state);
    // Enough bans that the database has to grow (the WAL reuses space it already has).
    for (let i = 20; i < 600; i++) appendFailures(log, ip(i), 1);
    await waitFor(() => banned().size === 600, 20_000, '600 addresses in the kernel while the disk is full');
    await waitFor(() => cliJson<Status>(cfg, ['status']).store.error !== null, 10_000, 'the store error in status');
    const during = cliJson<Status>(cfg, ['status']);
    expect(during.store.error).toMatch(/SQLITE_FULL|SQLITE_IOERR/);
    expect(during.store.unsaved).toBeGreaterThan(0);
    expect(during.warnings.join('\n')).toMatch(/state database .* is not writable/);
    expect(readFileSync(join(dir, 'daemon.log'), 'utf8')).toMatch(/ERROR +cannot write the state database .*bans stay enforced/);
    for (let i = 0; i < 20; i++) expect(banned().has(ip(i))).toBe(true);

    unlinkSync(filler);
    await waitFor(() => cliJson<Status>(cfg, ['status']).store.error === null, 10_000, 'the store to recover');
    expect(rows()).toEqual({ bans: 600, integrity: 'ok' });
    expect(readFileSync(join(dir, 'daemon.log'), 'utf8')).toMatch(/is writable again: saved \d+ change\(s\)/);

    // And the saved state is what a restart restores.
    await daemon!.stop();
    daemon = await startDaemon(cfg, join(dir, 'bantop.sock'), { netns: lab.host });
    expect(cliJson<unknown[]>(cfg, ['list'])).toHaveLength(600);
    expect(banned().size).toBe(600);
  }, 120_000);
});
