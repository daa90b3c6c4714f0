import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LineReader } from '../../src/source/read-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'bantop-read-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Lines of every length up to 70,000 characters (past the 64 KB read), some with multi-byte characters. */
function sample(): string[] {
  const out: string[] = [];
  let seed = 3;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  for (let i = 0; i < 3000; i++) {
    const len = i % 500 === 7 ? 70_000 : rnd(200);
    const unit = i % 3 === 0 ? 'caf\u00e9 \u2603 ' : 'sshd[42]: Failed password ';
    out.push(unit.repeat(Math.ceil(len / unit.length) + 1).slice(0, len));
  }
  return out;
}

/** Every line a reader has left. */
function rest(r: LineReader): string[] {
  const out: string[] = [];
  for (let l = r.next(); l !== null; l = r.next()) out.push(l);
  return out;
}

describe('LineReader', () => {
  it('gives each line of a file once, whole, across read boundaries and multi-byte characters, then null for good', () => {
    const lines = sample();
    const path = join(dir, 'a.log');
    writeFileSync(path, lines.join('\n') + '\n');
    const r = new LineReader(path, 0, Infinity);
    expect(rest(r)).toEqual(lines);
    expect(r.next()).toBeNull();
  });

  it('says a line is free of NUL only when no line of its read holds one (the last line without a newline is never vouched for)', () => {
    // 2,000 lines of 50 bytes: the reads (8, 16, 32, 64 KB) end near lines 163, 491, 1,146 and 2,000; line 1,500 holds a NUL.
    const lines = Array.from({ length: 2000 }, (_, i) => (i === 1499 ? 'x\u0000' : 'y').padEnd(49, '.'));
    const path = join(dir, 'nul.log');
    writeFileSync(path, lines.join('\n') + '\nlast');
    const r = new LineReader(path, 0, Infinity);
    const free: boolean[] = [];
    for (let l = r.next(); l !== null; l = r.next()) free.push(r.nulFree);
    expect(free).toHaveLength(2001);
    expect(free.slice(0, 1000).every(Boolean)).toBe(true);
    expect(free[1499]).toBe(false);
    expect(free[2000]).toBe(false);
  });

  it('reads a last line without its newline, and invalid UTF-8 as U+FFFD', () => {
    const path = join(dir, 'b.log');
    writeFileSync(path, Buffer.concat([Buffer.from('one\n\nt'), Buffer.from([0xff]), Buffer.from('wo\nlast')]));
    expect(rest(new LineReader(path, 0, Infinity))).toEqual(['one', '', 't\ufffdwo', 'last']);
  });

  it('reads a last line longer than its buffer, without a newline, whole; multi-byte characters across every read', () => {
    const long = '\u2603'.repeat(70_000) + 'x'.repeat(100_001);
    const path = join(dir, 'long.log');
    writeFileSync(path, `first\n${long}`);
    expect(rest(new LineReader(path, 0, Infinity))).toEqual(['first', long]);
    writeFileSync(path, `${long}\n${long}\nend\n`);
    expect(rest(new LineReader(path, 0, Infinity))).toEqual([long, long, 'end']);
  });

  it('reads a byte range from a line start, can be closed early, and follows an end that moves', () => {
    const lines = sample();
    const path = join(dir, 'c.log');
    writeFileSync(path, lines.join('\n') + '\n');
    const text = readFileSync(path, 'utf8');
    const startLine = 1200;
    const start = Buffer.byteLength(lines.slice(0, startLine).join('\n') + '\n');
    const end = Buffer.byteLength(lines.slice(0, 2500).join('\n') + '\n');
    expect(rest(new LineReader(path, start, end))).toEqual(lines.slice(startLine, 2500));
    const early = new LineReader(path, 0, Infinity);
    expect(early.next()).toBe(lines[0]);
    early.close();
    early.close();
    // An end that is moved while reading (as the parallel regex scan does) is honoured at the next read.
    expect(rest(new LineReader(path, 0, (pos) => (pos === 0 ? Buffer.byteLength(text) : end)))).toEqual(lines.slice(0, 2500));
  });

  it('asks where to stop after a first read of 8 KB, then after reads that double up to 64 KB', () => {
    const path = join(dir, 'd.log');
    writeFileSync(path, 'x'.repeat(99).concat('\n').repeat(5000));
    const asked: number[] = [];
    expect(rest(new LineReader(path, 0, (pos) => (asked.push(pos), Infinity)))).toHaveLength(5000);
    // Each read ends at the last whole line in it: 8,192 bytes hold 81 lines of 100.
    const reads = asked.slice(1).map((p, i) => p - asked[i]!);
    expect(reads.slice(0, 5)).toEqual([8100, 16300, 32700, 65500, 65500]);
    expect(asked.at(-1)).toBe(500_000);
  });
});
