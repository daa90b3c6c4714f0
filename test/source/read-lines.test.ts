import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forEachLine, forEachLineInRange, LineReader } from '../../src/source/read-lines.js';

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

describe('forEachLine / forEachLineInRange', () => {
  it('gives each line of a file once, whole, across read boundaries and multi-byte characters', () => {
    const lines = sample();
    const path = join(dir, 'a.log');
    writeFileSync(path, lines.join('\n') + '\n');
    const got: string[] = [];
    const n = forEachLine(path, (l, no) => {
      expect(no).toBe(got.length + 1);
      got.push(l);
    });
    expect(n).toBe(lines.length);
    expect(got).toEqual(lines);
  });

  it('reads a last line without its newline, and invalid UTF-8 as U+FFFD', () => {
    const path = join(dir, 'b.log');
    writeFileSync(path, Buffer.concat([Buffer.from('one\n\nt'), Buffer.from([0xff]), Buffer.from('wo\nlast')]));
    const got: string[] = [];
    forEachLine(path, (l) => got.push(l));
    expect(got).toEqual(['one', '', 't\ufffdwo', 'last']);
  });

  it('reads a byte range from a line start, stops when asked, and follows an end that moves', () => {
    const lines = sample();
    const path = join(dir, 'c.log');
    writeFileSync(path, lines.join('\n') + '\n');
    const text = readFileSync(path, 'utf8');
    const startLine = 1200;
    const start = Buffer.byteLength(lines.slice(0, startLine).join('\n') + '\n');
    const end = Buffer.byteLength(lines.slice(0, 2500).join('\n') + '\n');
    const got: string[] = [];
    forEachLineInRange(path, start, end, (l) => (got.push(l), true));
    expect(got).toEqual(lines.slice(startLine, 2500));
    const some: string[] = [];
    expect(forEachLineInRange(path, 0, Infinity, (l) => (some.push(l), some.length < 10))).toBe(10);
    expect(some).toEqual(lines.slice(0, 10));
    // An end that is moved while reading (as the parallel regex scan does) is honoured at the next read.
    const moved: string[] = [];
    forEachLineInRange(path, 0, (pos) => (pos === 0 ? Buffer.byteLength(text) : end), (l) => (moved.push(l), true));
    expect(moved).toEqual(lines.slice(0, 2500));
  });

  it('LineReader: pulls the same lines one by one, then null for good, and can be closed early', () => {
    const lines = sample();
    const path = join(dir, 'pull.log');
    writeFileSync(path, lines.join('\n'));
    const r = new LineReader(path, 0, Infinity);
    const got: string[] = [];
    for (let l = r.next(); l !== null; l = r.next()) got.push(l);
    expect(got).toEqual(lines);
    expect(r.next()).toBeNull();
    const early = new LineReader(path, 0, Infinity);
    expect(early.next()).toBe(lines[0]);
    early.close();
    early.close();
    // A second reader of the rest, from where a line starts: what the first one left.
    const offset = Buffer.byteLength(lines.slice(0, 10).join('\n') + '\n');
    const rest = new LineReader(path, offset, Infinity);
    expect(rest.next()).toBe(lines[10]);
    rest.close();
  });
});

