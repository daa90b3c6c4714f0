import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, isoStamp } from '../../src/daemon/logger.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'bantop-log-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the daemon log', () => {
  it('stamps each line with the time of the millisecond it was written in', () => {
    let t = Date.UTC(2026, 11, 7, 14, 0, 0, 5);
    const stamp = isoStamp(() => t);
    expect(stamp()).toBe('2026-12-07T14:00:00.005Z ');
    expect(stamp()).toBe('2026-12-07T14:00:00.005Z ');
    t += 1;
    expect(stamp()).toBe('2026-12-07T14:00:00.006Z ');
    t += 3_600_000;
    expect(stamp()).toBe('2026-12-07T15:00:00.006Z ');
  });

  it('writes a logtarget file in fail2ban\'s levels, up to the configured one, each line stamped', async () => {
    const file = join(dir, 'bantop.log');
    const log = createLogger(file, 'warn');
    const before = Date.now();
    log.log('ERROR', 'one');
    log.log('INFO', 'not at WARN');
    log.log('WARNING', 'two');
    await new Promise((r) => setTimeout(r, 50));
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['bantop ERROR   one', 'bantop WARNING two', '']);
    for (const l of lines.slice(0, 2)) expect(Date.parse(l.split(' ')[0]!)).toBeGreaterThanOrEqual(before - 1);
  });
});
