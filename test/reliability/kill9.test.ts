import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliJson, sshdFailure, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { createLab, netnsSkipReason, nftAddresses, type Lab } from '../support/netns.js';
import { waitFor } from '../support/wait.js';
import { skipNote } from '../support/skip-note.js';

const STORM = 10_000;
const KILLS = 20;
const attacker = (i: number) => `10.${77 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

const skip = netnsSkipReason(['nft']);
describe.skipIf(skip !== null)(`kill -9${skipNote(skip)}`, () => {
  let lab: Lab;
  let dir: string;
  let cfg: string;
  let log: string;
  let daemon: Daemon | undefined;

  beforeAll(() => {
    lab = createLab();
    dir = mkdtempSync(join(tmpdir(), 'bantop-kill9-'));
    log = join(dir, 'auth.log');
    writeFileSync(log, '');
    cfg = writeConfig(dir, {
      firewall: 'nftables',
      jails: `[DEFAULT]\nescalation = off\n[storm]\nenabled = true\nfilter = sshd\nport = 22\nlogpath = ${log}\nmaxretry = 1\nfindtime = 1h\nbantime = 1d\n`,
      extra: 'loglevel = INFO\n',
    });
  });
  afterAll(async () => {
    await daemon?.stop();
    lab?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = () => startDaemon(cfg, join(dir, 'bantop.sock'), { netns: lab.host });
  const storeBans = (): string[] => {
    const db = new Database(join(dir, 'bantop.sqlite3'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT ip FROM bantop_bans').all() as Array<{ ip: string }>).map((r) => r.ip);
    } finally {
      db.close();
    }
  };
  /** Store, engine and kernel agree: every ban once, nothing the store does not own. */
  const consistent = (): { store: number; problems: string[] } => {
    const store = storeBans();
    const listed = new Set(cliJson<Array<{ ip: string }>>(cfg, ['list']).map((b) => b.ip));
    const kernel = nftAddresses(lab.host);
    const problems: string[] = [];
    if (new Set(store).size !== store.length) problems.push('the store holds an address twice');
    for (const ip of store) {
      if (!listed.has(ip)) problems.push(`${ip} is in the store but not in the engine`);
      if (kernel.get(ip) !== 1) problems.push(`${ip} is in the store but ${kernel.get(ip) ?? 0} times in the kernel`);
    }
    const owned = new Set(store);
    for (const [ip] of kernel) if (!owned.has(ip)) problems.push(`${ip} is in the kernel but not in the store`);
    return { store: store.length, problems: problems.slice(0, 5) };
  };

  it('after each of 20 kill -9 during a 10,000-ban storm, every committed ban is in the store and in the kernel exactly once, and the storm ends with all 10,000', async () => {
    daemon = await start();
    let written = 0;
    // The storm: attack lines keep arriving while the daemon is killed and restarted.
    const writeSome = (n: number) => {
      let s = '';
      for (let k = 0; k < n && written < STORM; k++) s += sshdFailure(attacker(written++));
      if (s) appendFileSync(log, s);
    };
    const counts: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const until = Date.now() + 50 + Math.random() * 400;
      while (Date.now() < until) {
        writeSome(40);
        await new Promise((r) => setTimeout(r, 5));
      }
      await daemon.kill9();
      daemon = await start();
      // Let the restarted daemon catch up with what was written, then compare.
      let last = -1;
      await waitFor(() => {
        const n = storeBans().length;
        const settled = n === last && n > 0;
        last = n;
        return settled;
      }, 30_000, 'the store to settle', 200);
      const c = consistent();
      expect(c.problems, `after kill ${kill + 1}`).toEqual([]);
      counts.push(c.store);
    }
    writeSome(STORM);
    await waitFor(() => storeBans().length === STORM, 60_000, `all ${STORM} bans`, 200);
    const c = consistent();
    expect(c.problems).toEqual([]);
    expect(new Set(storeBans())).toEqual(new Set(Array.from({ length: STORM }, (_, i) => attacker(i))));
    expect(counts.length).toBe(KILLS);
    expect(counts[0]).toBeGreaterThan(0);
  }, 600_000);
});
