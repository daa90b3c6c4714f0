import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTailer } from '../../src/source/file-tail.js';
import { lineDecoder } from '../../src/source/log-encoding.js';
import { MemoryPositionStore, type SourceLine } from '../../src/source/types.js';
import { systemClock } from '../../src/util/clock.js';
import { waitFor } from '../support/wait.js';

let dir: string;
let tailers: FileTailer[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bantop-tail-'));
});
afterEach(async () => {
  await Promise.all(tailers.map((t) => t.stop()));
  tailers = [];
  rmSync(dir, { recursive: true, force: true });
});

function tail(paths: string[], positions = new MemoryPositionStore(), start?: Record<string, 'head' | 'tail'>) {
  const got: SourceLine[] = [];
  const notes: string[] = [];
  const t = new FileTailer({ jail: 'j', paths, start, positions, sink: (l) => got.push(...l), clock: systemClock, pollMs: 50, drainMs: 300, note: (m) => notes.push(m) });
  tailers.push(t);
  return { t, got, positions, notes, lines: () => got.map((g) => g.line) };
}

/** An empty file in `dir`, followed from its start. */
async function follow(name: string) {
  const log = join(dir, name);
  writeFileSync(log, '');
  const h = tail([log]);
  await h.t.start();
  return { log, ...h };
}

describe('FileTailer', () => {
  it('starts at the end the first time and then reads appended lines', async () => {
    const log = join(dir, 'auth.log');
    writeFileSync(log, 'old 1\nold 2\n');
    const { t, lines } = tail([log]);
    await t.start();
    appendFileSync(log, 'new 1\nnew 2\n');
    await waitFor(() => lines().length === 2);
    expect(lines()).toEqual(['new 1', 'new 2']);
  });

  it("decodes a log in the jail's logencoding (latin-1, cp1251), a line written in two parts included", async () => {
    for (const [enc, text] of [['latin-1', 'Failed password for josé from 192.0.2.1'], ['cp1251', 'Неудачный вход: иван from 192.0.2.2']] as const) {
      const log = join(dir, `${enc}.log`);
      writeFileSync(log, '');
      const got: string[] = [];
      const t = new FileTailer({ jail: 'j', paths: [log], positions: new MemoryPositionStore(), sink: (l) => got.push(...l.map((x) => x.line)), clock: systemClock, pollMs: 50,
        decode: lineDecoder(enc)! });
      tailers.push(t);
      await t.start();
      const bytes = Buffer.from(new TextEncoderFor(enc).encode(text));
      appendFileSync(log, Buffer.concat([bytes, Buffer.from('\n'), bytes.subarray(0, 12)]));
      await waitFor(() => got.length === 1, 3000, `the ${enc} line`);
      appendFileSync(log, Buffer.concat([bytes.subarray(12), Buffer.from('\n')]));
      await waitFor(() => got.length === 2, 3000, `the ${enc} line written in two parts`);
      expect(got).toEqual([text, text]);
    }
  });

  it('reads lines appended right after a change event without waiting for the poll (chokidar drops events for 50 ms)', async () => {
    const log = join(dir, 'burst.log');
    writeFileSync(log, '');
    const got: string[] = [];
    const t = new FileTailer({ jail: 'j', paths: [log], positions: new MemoryPositionStore(), sink: (l) => got.push(...l.map((x) => x.line)), clock: systemClock, pollMs: 60_000 });
    tailers.push(t);
    await t.start();
    appendFileSync(log, 'first\n');
    await waitFor(() => got.length === 1, 3000, 'the first line');
    appendFileSync(log, 'second\n'); // inside chokidar's throttle window
    await waitFor(() => got.length === 2, 1000, 'the second line before the 60 s poll');
    expect(got).toEqual(['first', 'second']);
  });

  it('under a steady stream, the last lines arrive just after the last write, never at the poll', async () => {
    // Every 10 ms for a second; chokidar emits about every 50 ms and drops the rest, so
    // the lines written after its last event are read only by a look after that event.
    for (let round = 0; round < 4; round++) {
      const log = join(dir, `stream${round}.log`);
      writeFileSync(log, '');
      const got: string[] = [];
      const t = new FileTailer({ jail: 'j', paths: [log], positions: new MemoryPositionStore(), sink: (l) => got.push(...l.map((x) => x.line)), clock: systemClock, pollMs: 60_000 });
      tailers.push(t);
      await t.start();
      const n = 100 + round * 3;
      for (let i = 0; i < n; i++) {
        appendFileSync(log, `line ${i}\n`);
        await new Promise((r) => setTimeout(r, 10));
      }
      await waitFor(() => got.length === n, 400, `all ${n} lines of round ${round} within 400 ms of the last write`);
      await t.stop();
    }
  }, 20_000);

  it('holds a partial last line until its newline arrives', async () => {
    const { log, lines } = await follow('a.log');
    appendFileSync(log, 'first half');
    await new Promise((r) => setTimeout(r, 150));
    expect(lines()).toEqual([]);
    appendFileSync(log, ' second half\n');
    await waitFor(() => lines().length === 1);
    expect(lines()).toEqual(['first half second half']);
  });

  it('resumes from the saved position after a restart: nothing lost, nothing twice; what it reads back is marked backlog', async () => {
    const log = join(dir, 'a.log');
    writeFileSync(log, 'before\n');
    const positions = new MemoryPositionStore();
    const a = tail([log], positions);
    await a.t.start();
    appendFileSync(log, 'one\npart');
    await waitFor(() => a.lines().length === 1);
    await a.t.stop();
    appendFileSync(log, 'ial\nwhile down\n');
    const b = tail([log], positions);
    await b.t.start();
    appendFileSync(log, 'after start\n');
    await waitFor(() => b.lines().length === 3);
    // Written while it was down: read back (its dates stand); before and after: live (SourceLine.backlog).
    expect([...a.got, ...b.got].map((g) => [g.line, g.backlog ?? false])).toEqual([['one', false], ['partial', true], ['while down', true], ['after start', false]]);
  });

  it("follows fail2ban's `PATH tail` (the end at every start, the saved position passed over) and `PATH head` (the start the first time), globs too", async () => {
    const [t1, h1] = [join(dir, 't.log'), join(dir, 'h-1.log')];
    writeFileSync(t1, 'old t\n');
    writeFileSync(h1, 'old h\n');
    const positions = new MemoryPositionStore();
    const start = { [t1]: 'tail' as const, [join(dir, 'h-*.log')]: 'head' as const };
    const a = tail([t1, join(dir, 'h-*.log')], positions, start);
    await a.t.start();
    appendFileSync(t1, 'new t\n');
    await waitFor(() => a.lines().length === 2);
    // head: the file's lines from its start; tail: what came after the start only.
    expect(a.lines().sort()).toEqual(['new t', 'old h']);
    await a.t.stop();
    appendFileSync(t1, 'while down t\n');
    appendFileSync(h1, 'while down h\n');
    const b = tail([t1, join(dir, 'h-*.log')], positions, start);
    await b.t.start();
    appendFileSync(t1, 'after t\n');
    await waitFor(() => b.lines().length === 2);
    // tail passes over what was written while down (fail2ban ignores its saved position there); head resumes.
    expect(b.lines().sort()).toEqual(['after t', 'while down h']);
  });

  it('reads from the start a file that was rotated while bantop was down', async () => {
    const log = join(dir, 'a.log');
    writeFileSync(log, 'x\n');
    const positions = new MemoryPositionStore();
    const a = tail([log], positions);
    await a.t.start();
    await a.t.stop();
    renameSync(log, `${log}.1`);
    writeFileSync(log, 'fresh 1\nfresh 2\n');
    const b = tail([log], positions);
    await b.t.start();
    await waitFor(() => b.lines().length === 2);
    expect(b.got.map((g) => [g.line, g.backlog])).toEqual([['fresh 1', true], ['fresh 2', true]]);
  });

  async function flowWithRotation(rotate: (log: string, n: number) => void): Promise<string[]> {
    const { log, lines } = await follow('flow.log');
    const total = 3000;
    for (let i = 0; i < total; i++) {
      appendFileSync(log, `line ${i}\n`);
      if (i % 1000 === 999) rotate(log, i);
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await waitFor(() => lines().length >= total, 10_000, `${total} lines`);
    await new Promise((r) => setTimeout(r, 200));
    return lines();
  }

  it('follows rename rotation while lines flow, without losing or repeating a line', async () => {
    const got = await flowWithRotation((log, n) => renameSync(log, `${log}.${n}`));
    expect(got.length).toBe(3000);
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => `line ${i}`));
  });

  it('reads a file that was created and rotated away between two looks, with no successor yet', async () => {
    const { log, lines, notes } = await follow('gone.log');
    appendFileSync(log, 'a 1\n');
    await waitFor(() => lines().length === 1);
    // No await in between: the tailer cannot look until both rotations are done.
    renameSync(log, `${log}.1`);
    writeFileSync(log, 'b 1\nb 2\n');
    renameSync(log, `${log}.2`);
    await waitFor(() => lines().length === 3, 3000, 'the middle file');
    expect(lines()).toEqual(['a 1', 'b 1', 'b 2']);
    // The daemon logs these: an operator can see where lines came from after a rotation.
    expect(notes).toEqual([`j: ${log}: rotated away, no new file yet`, `j: ${log}.2: rotated away before it was followed, read whole: 2 lines`]);
  });

  it('follows copytruncate rotation without repeating a line', async () => {
    const got = await flowWithRotation((log, n) => {
      copyFileSync(log, `${log}.${n}`);
      truncateSync(log, 0);
    });
    expect(new Set(got).size).toBe(got.length);
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => `line ${i}`));
  });

  it('copytruncate of a file it last saw empty: the copy is read, then the new content, nothing lost', async () => {
    const { log, lines, notes } = await follow('empty.log');
    // No await in between: lines arrive, are copied away and truncated before the tailer looks.
    appendFileSync(log, 'a 1\na 2\n');
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, 'b 1 and a longer line than before\n');
    await waitFor(() => lines().length === 3, 3000, 'three lines');
    expect(lines()).toEqual(['a 1', 'a 2', 'b 1 and a longer line than before']);
    expect(notes).toEqual([`j: ${log}: truncated (a fresh copy holds what it started with), reading it from the start; from the copies: empty.log.1 whole: 2 lines`]);
  });

  it('copytruncate with the copy made and the file not yet truncated: the copy is not read ahead of the file', async () => {
    const { log, lines, notes } = await follow('pending.log');
    appendFileSync(log, 'a 1\na 2\n');
    await waitFor(() => lines().length === 2);
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, 'b 1\nb 2\n');
    // logrotate's second copytruncate, caught between its copy and its truncation.
    copyFileSync(log, `${log}.2`);
    await waitFor(() => lines().length >= 4, 3000, 'the second file');
    truncateSync(log, 0);
    appendFileSync(log, 'c 1\n');
    await waitFor(() => lines().includes('c 1'), 3000, 'the third file');
    await new Promise((r) => setTimeout(r, 200));
    expect(lines()).toEqual(['a 1', 'a 2', 'b 1', 'b 2', 'c 1']);
    expect(notes.at(-1)).toMatch(/: truncated \(.*\), reading it from the start; from the copies: pending\.log\.2 from byte 8: 0 lines$/);
  });

  it('copytruncate with a line written between the copy and the truncation, and read: the shorter copy is still ours', async () => {
    const { log, lines } = await follow('window.log');
    appendFileSync(log, 'a 1\n');
    await waitFor(() => lines().length === 1);
    copyFileSync(log, `${log}.1`);
    appendFileSync(log, 'a 2, in the copy-truncate window\n');
    await waitFor(() => lines().length === 2);
    truncateSync(log, 0);
    appendFileSync(log, 'b 1\n');
    await waitFor(() => lines().includes('b 1'), 3000, 'the new file');
    await new Promise((r) => setTimeout(r, 200));
    expect(lines()).toEqual(['a 1', 'a 2, in the copy-truncate window', 'b 1']);
  });

  it('copytruncate by another process, 400 times as fast as it can: no line lost, none read twice', async () => {
    const writer = join(import.meta.dirname, '..', 'support', 'copytruncate-writer.mjs');
    for (const window of [[], ['window']]) {
      const { log, lines } = await follow(`busy${window.length}.log`);
      const { stdout } = await promisify(execFile)(process.execPath, [writer, log, '400', ...window]);
      const total = Number(stdout);
      const numbered = () => lines().map((l) => l.slice(l.lastIndexOf(' ') + 1)).filter((tag) => !tag.startsWith('#W'));
      await waitFor(() => new Set(numbered()).size >= total, 10_000, () => `${total} lines, ${new Set(numbered()).size} came`);
      await new Promise((r) => setTimeout(r, 200));
      // Lines written in copytruncate's own window may be lost, never doubled.
      expect(lines().length).toBe(new Set(lines()).size);
      expect(numbered().sort()).toEqual(Array.from({ length: total }, (_, i) => `#${i}`).sort());
    }
  }, 60_000);

  it('picks up a file that appears later, and glob paths', async () => {
    const sub = join(dir, 'nginx');
    mkdirSync(sub);
    const { t, got } = tail([join(sub, '*error.log')]);
    await t.start();
    writeFileSync(join(sub, 'site-error.log'), 'a\n');
    writeFileSync(join(sub, 'other.log'), 'not me\n');
    writeFileSync(join(sub, 'api-error.log'), 'b\n');
    await waitFor(() => got.length === 2);
    expect(got.map((g) => [g.origin.split('/').pop(), g.line]).sort()).toEqual([['api-error.log', 'b'], ['site-error.log', 'a']]);
  });

  it('passes over a FIFO, a directory and a device in logpath, saying so once each, and reads the files beside them', async () => {
    const fifo = join(dir, 'pipe.log');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(join(dir, 'sub.log'));
    const log = join(dir, 'auth.log');
    writeFileSync(log, '');
    // The glob matches the FIFO and the directory too, and a FIFO that appears later.
    const { t, lines, notes } = tail([fifo, join(dir, 'sub.log'), '/dev/null', join(dir, '*.log'), log]);
    // Opening the FIFO as a file waited for a writer: start() never returned.
    await t.start();
    execFileSync('mkfifo', [join(dir, 'late.log')]);
    appendFileSync(log, 'a\n');
    await waitFor(() => lines().length === 1 && notes.some((n) => n.includes('late.log')));
    await new Promise((r) => setTimeout(r, 200)); // several polls
    expect(lines()).toEqual(['a']);
    expect(t.followed()).toEqual([log]);
    expect(notes.sort()).toEqual([
      'j: /dev/null is a device, not a log file: it is not read',
      `j: ${join(dir, 'late.log')} is a FIFO, not a log file: it is not read`,
      `j: ${fifo} is a FIFO, not a log file: it is not read`,
      `j: ${join(dir, 'sub.log')} is a directory, not a log file: it is not read`,
    ].sort());
  });
});

/** Bytes of `text` in a one-byte encoding, from the encoding's own table (TextEncoder writes UTF-8 only). */
class TextEncoderFor {
  constructor(private readonly enc: 'latin-1' | 'cp1251') {}
  encode(text: string): Uint8Array {
    if (this.enc === 'latin-1') return Buffer.from(text, 'latin1');
    const decoder = new TextDecoder('windows-1251');
    const table = new Map<string, number>();
    for (let b = 0; b < 256; b++) table.set(decoder.decode(Uint8Array.of(b)), b);
    return Uint8Array.from([...text].map((c) => table.get(c)!));
  }
}
