import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { BanEvent, EngineEvent } from '../../src/engine/events.js';
import { Pipeline } from '../../src/runtime/pipeline.js';
import { MemoryPositionStore } from '../../src/source/types.js';
import { systemClock } from '../../src/util/clock.js';
import { waitFor } from '../support/wait.js';

const ASSETS = join(import.meta.dirname, '..', '..', 'assets', 'config');
let dir: string;
let pipeline: Pipeline | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bantop-pipe-'));
  cpSync(ASSETS, join(dir, 'etc'), { recursive: true });
});
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A syslog timestamp for now, local time: "Nov 21 09:30:00". */
const stamp = () => {
  const d = new Date();
  return `${d.toDateString().slice(4, 7)} ${String(d.getDate()).padStart(2, ' ')} ${d.toTimeString().slice(0, 8)}`;
};

/** A syslog timestamp `ms` from now, local time. */
const stampAt = (ms: number) => {
  const d = new Date(Date.now() + ms);
  return `${d.toDateString().slice(4, 7)} ${String(d.getDate()).padStart(2, ' ')} ${d.toTimeString().slice(0, 8)}`;
};

describe('Pipeline: log files through the shipped filters to ban decisions', () => {
  it('bans an sshd attacker on the maxretry-th failure, ignores an injected address and ignoreip', async () => {
    const auth = join(dir, 'auth.log');
    const kern = join(dir, 'kern.log');
    writeFileSync(auth, 'old line that must not count\n');
    writeFileSync(kern, '');
    writeFileSync(join(dir, 'etc', 'jail.local'),
      `[DEFAULT]\nignoreip = 127.0.0.1/8 198.51.100.0/24\n[sshd]\nlogpath = ${auth}\nmaxretry = 3\n[closed-ports]\nenabled = true\nlogpath = ${kern}\n`);
    const events: EngineEvent[] = [];
    pipeline = new Pipeline(loadConfig(join(dir, 'etc')), { clock: systemClock, positions: new MemoryPositionStore() });
    pipeline.subscribe((e) => events.push(e));
    await pipeline.start();

    const lines: string[] = [];
    for (let i = 0; i < 3; i++) {
      lines.push(`${stamp()} web1 sshd[${100 + i}]: Failed password for invalid user root from 8.8.8.8 port 22 ssh2 from 203.0.113.9 port ${4000 + i} ssh2`);
      lines.push(`${stamp()} web1 sshd[${200 + i}]: Failed password for root from 198.51.100.7 port ${5000 + i} ssh2`);
    }
    appendFileSync(auth, lines.join('\n') + '\n');
    for (let i = 0; i < 3; i++) {
      appendFileSync(kern, `${stamp()} web1 kernel: [ 12.5] [ssh-blocked-port-22] IN=eth0 OUT= MAC=00 SRC=2001:db8::9 DST=2001:db8::1 LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=0 PROTO=TCP SPT=${4711 + i} DPT=22 WINDOW=64800 RES=0x00 SYN URGP=0\n`);
    }
    await waitFor(() => events.filter((e) => e.type === 'ban').length === 2, 5000, 'two bans');
    const bans = events.filter((e): e is BanEvent => e.type === 'ban');
    expect(bans.map((b) => [b.jail, b.ip, b.failures]).sort()).toEqual([['closed-ports', '2001:db8::9', 3], ['sshd', '203.0.113.9', 3]]);
    expect(events.some((e) => e.ip === '8.8.8.8')).toBe(false);
    expect(events.filter((e) => e.type === 'ignored').map((e) => [e.ip, (e as { reason: string }).reason])).toContainEqual(['198.51.100.7', 'ignoreip']);
    const snap = pipeline.engine.snapshot().jails.find((j) => j.name === 'sshd')!;
    expect(snap).toMatchObject({ currentBans: 1, totalBans: 1, filter: { lines: 6, matched: 6 } });
  });

  it('bans from a log an hour behind the clock as its lines come (fail2ban\'s operation mode), and says so; lines read back at start keep their dates, and one without a date is skipped', async () => {
    const auth = join(dir, 'auth.log');
    writeFileSync(auth, '');
    writeFileSync(join(dir, 'etc', 'jail.local'), `[sshd]\nlogpath = ${auth}\nmaxretry = 3\n`);
    const positions = new MemoryPositionStore();
    const fail = (ip: string, i: number) => `${stampAt(-3_600_000)} web1 sshd[${300 + i}]: Failed password for root from ${ip} port ${4000 + i} ssh2\n`;
    // Started once, so that the position is saved; lines written while it is down are read back at the next start.
    pipeline = new Pipeline(loadConfig(join(dir, 'etc')), { clock: systemClock, positions });
    await pipeline.start();
    await pipeline.stop();
    for (let i = 0; i < 3; i++) appendFileSync(auth, fail('203.0.113.50', i));
    // And a line whose date cannot be read: its age is unknown, so it is skipped, not taken as now.
    appendFileSync(auth, 'web1 sshd[399]: Failed password for root from 203.0.113.52 port 4999 ssh2\n');
    const events: EngineEvent[] = [];
    const warned: string[] = [];
    pipeline = new Pipeline(loadConfig(join(dir, 'etc')), { clock: systemClock, positions, warn: (m) => warned.push(m) });
    pipeline.subscribe((e) => events.push(e));
    await pipeline.start();
    expect(events.map((e) => [e.type, e.ip, (e as { reason?: string }).reason]))
      .toEqual([...[0, 1, 2].map(() => ['ignored', '203.0.113.50', 'too-old']), ['ignored', '203.0.113.52', 'undated']]);
    for (let i = 0; i < 3; i++) appendFileSync(auth, fail('203.0.113.51', i));
    await waitFor(() => events.some((e) => e.type === 'ban'), 5000, 'a ban');
    const live = events.filter((e) => e.ip === '203.0.113.51');
    expect(live.map((e) => e.type)).toEqual(['failure', 'failure', 'failure', 'ban']);
    for (const e of live) expect(Math.abs(e.time - Date.now())).toBeLessThan(5000);
    expect(warned).toHaveLength(2);
    expect(warned[0]).toMatch(/^\[sshd\] a failure read back at start has no date the filter can read, so it is skipped/);
    expect(warned[1]).toMatch(/^\[sshd\] a log line is dated 1h(?:1s)? before the clock as it is read: a time zone or clock problem/);
  });
});
