import { fstatSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Failure } from '../../src/filter/filter.js';
import { JsonMatches, MatchLog, matchLogBuffers, SpillFile, type SpilledBlock } from '../../src/cli/match-log.js';
import { matchOf } from '../../src/cli/regex-scan.js';

function failure(over: Partial<Failure>): Failure {
  return { host: '192.0.2.7', ip: '192.0.2.7', time: Date.UTC(2026, 10, 21, 8, 30, 5), dated: true, fields: {}, isId: false, failregexIndex: 0, match: '', ...over };
}

const TRICKY: Array<[string, Partial<Failure>]> = [
  ['a plain address', {}],
  ['no date, no address', { host: 'mail.example.org', ip: null, dated: false }],
  ['fields with quotes, backslashes, control bytes and non-ASCII', { fields: { user: 'r"o\\ot\u0001\u001f', 'f-x': 'ünïcödé ✓ 😀' } }],
  ['a lone surrogate', { fields: { user: 'a\ud800b' } }],
  ['an IPv6 id', { host: '[2001:db8::1]', ip: '2001:db8::1' }],
  ['a field named like the record\'s own keys', { fields: { host: 'shadow', user: 'u' } }],
];

describe('MatchLog: the JSON records of bantop regex --json', () => {
  it.each(TRICKY)('%s: printed exactly as JSON.stringify(matchOf()) prints it', (_what, over) => {
    const log = new MatchLog();
    const f = failure(over);
    log.add(12, f);
    const all = new JsonMatches();
    all.add(log.handOver());
    expect(all.texts()).toEqual([JSON.stringify(matchOf(12, f))]);
  });

  it('prints each stretch from the match after its starting line, with its lines moved, in pieces that hold whole records', () => {
    const mine = new MatchLog();
    const worker = new MatchLog();
    const fs: Failure[] = [];
    for (let line = 1; line <= 3000; line++) {
      const f = failure({ host: `10.0.${line >> 8}.${line & 255}`, ip: `10.0.${line >> 8}.${line & 255}`, time: Date.UTC(2026, 0, 1) + line * 1000, fields: { user: `user${line}`.repeat(line % 5) } });
      fs.push(f);
      (line <= 1000 ? mine : worker).add(line <= 1000 ? line : line - 1000, f);
    }
    const all = new JsonMatches();
    all.add(mine.handOver());
    // The worker's lines count from line 1,001 of the file; its first 20 were read by this thread already.
    all.add(worker.handOver(), 1000, 20);
    const expected = fs.map((f, i) => JSON.stringify(matchOf(i + 1, f))).filter((_, i) => i < 1000 || i >= 1020);
    expect(all.texts()).toEqual(expected);
    const pieces: Uint8Array[] = [];
    all.write((p) => pieces.push(p), 4096);
    expect(pieces.length).toBeGreaterThan(10);
    expect(pieces.every((p) => p.length <= 4096)).toBe(true);
    expect(JSON.parse(`[${Buffer.concat(pieces).toString('utf8')}]`)).toEqual(expected.map((t) => JSON.parse(t)));
  });

  it('writes full blocks to a spill file that is already gone from the disk, hands the last block over whole, and reads the spilled ones back', () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('bantop-json-')).length;
    const log = new MatchLog();
    for (let i = 1; i <= 5000; i++) log.add(i, failure({ fields: { user: 'x'.repeat(150) } }));
    const d = log.handOver();
    expect(d.count).toBe(5000);
    // 5,000 records of about 230 bytes fill one 1 MB block: it went to the file; the second stayed in memory.
    expect(d.blocks.length).toBe(2);
    const [spilled, last] = d.blocks as [SpilledBlock, Uint8Array];
    expect(spilled).toMatchObject({ pos: 0 });
    expect(spilled.length).toBeGreaterThan(500_000);
    expect(fstatSync(spilled.fd).nlink).toBe(0);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('bantop-json-')).length).toBe(before);
    expect(last).toBeInstanceOf(Uint8Array);
    const copy = structuredClone(d, { transfer: matchLogBuffers(d) });
    expect(last.byteLength).toBe(0);
    const all = new JsonMatches();
    all.add(copy);
    expect(all.texts()).toEqual(Array.from({ length: 5000 }, (_, i) => JSON.stringify(matchOf(i + 1, failure({ fields: { user: 'x'.repeat(150) } })))));
    expect(log.handOver().count).toBe(0);
    all.close();
    expect(() => fstatSync(spilled.fd)).toThrow(/EBADF/);
  });

  it('keeps the blocks of several logs in one spill file apart (a worker\'s chunks share the file the first thread opened)', () => {
    const file = SpillFile.create();
    const logs = [new MatchLog(file), new MatchLog(file)];
    for (let i = 1; i <= 12_000; i++) logs[i % 2]!.add(i, failure({ host: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, ip: null, fields: { user: 'y'.repeat(120) } }));
    const all = new JsonMatches();
    for (const l of logs) all.add(l.handOver());
    const texts = all.texts();
    expect(texts).toHaveLength(12_000);
    expect(texts.filter((t) => JSON.parse(t).line % 2 === 0)).toHaveLength(6000);
    expect(texts.every((t) => { const m = JSON.parse(t); return m.host === `10.${m.line >> 16}.${(m.line >> 8) & 255}.${m.line & 255}`; })).toBe(true);
    all.own(file);
    all.close();
    expect(() => fstatSync(file.fd)).toThrow(/EBADF/);
  });
});
