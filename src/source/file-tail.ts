import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Clock } from '../util/clock.js';
import { notFileKind, statOf } from '../util/file-kind.js';
import { splitLogPath } from './glob.js';
import { LineSplitter } from './line-splitter.js';
import type { LineDecoder } from './log-encoding.js';
import type { FilePosition, LineSink, LogSource, PositionStore, SourceLine } from './types.js';

const CHUNK = 1 << 20;
/** Just past chokidar's 50 ms change-event throttle. */
const TRAIL_MS = 60;
/**
 * Bytes from the start of a file that identify it. A copytruncate followed by
 * new lines before we look shows only as different first bytes, and lines
 * written in the same second share a long prefix (date, host, program, message
 * up to the address), so the head has to reach past the first line's address.
 */
const HEAD = 256;

interface Tracked {
  path: string;
  fd: number;
  inode: number;
  /** Bytes read from the file (a partial line may sit in the splitter). */
  readPos: number;
  /** Bytes consumed as whole lines: the resume point. */
  offset: number;
  head: string;
  splitter: LineSplitter;
  /** The file's mtime at our last read: rotated siblings newer than this may hold unread lines. */
  mtimeMs: number;
  /** What is read now was in the file when we started: read back from the saved position (SourceLine.backlog). */
  backlog: boolean;
}

export interface FileTailOptions {
  jail: string;
  /** Paths as in `logpath`: plain, or with a glob in the file name. */
  paths: string[];
  /** By path as in `paths`: where its files start at start-up (JailConfig.logstart). */
  start?: Readonly<Record<string, 'head' | 'tail'>> | undefined;
  positions: PositionStore;
  sink: LineSink;
  clock: Clock;
  /** Safety-net rescan for missed events and new files, in ms. */
  pollMs?: number;
  /** How long a rotated-away file is still read for late writes, in ms. */
  drainMs?: number;
  /** Rotations seen and the lines taken from rotated copies, for the daemon's log (fail2ban logs these at INFO too). */
  note?: (msg: string) => void;
  /** The jail's logencoding, where it is not UTF-8 (log-encoding.ts). */
  decode?: LineDecoder | null;
}

/**
 * Tails a jail's log files. chokidar's change events give low latency; a poll
 * is the safety net. Reads go through file descriptors, so a file renamed by
 * rotation is read to its end before the new file is opened, and a
 * copytruncate is seen as the size dropping (or the head bytes changing).
 */
export class FileTailer implements LogSource {
  private readonly files = new Map<string, Tracked>();
  /** The last file followed at a path, until its successor is opened. */
  private readonly rotatedAway = new Map<string, Tracked>();
  /** Inodes already read, so a rotated copy is never read twice. */
  private readonly seen = new Set<number>();
  private draining: Array<{ t: Tracked; until: number }> = [];
  private watchers: FSWatcher[] = [];
  private readonly trailing = new Map<string, NodeJS.Timeout>();
  private timer: NodeJS.Timeout | undefined;
  private readonly specs: ReturnType<typeof splitLogPath>[];
  private stopped = false;
  /** Paths that are not regular files (said once each). */
  private readonly notFiles = new Set<string>();
  /** Lines dropped because a read failed (counted, never thrown). */
  readErrors = 0;
  /** Lines handed to the sink, so a rotation's note can say how many came from a copy. */
  private emitted = 0;

  constructor(private readonly o: FileTailOptions) {
    this.specs = o.paths.map((p) => splitLogPath(p));
  }

  async start(): Promise<void> {
    for (const path of this.matchingFiles()) this.open(path, 'initial');
    // Until a watcher is ready its events are lost; a line written then would wait for the poll.
    await Promise.all(this.specs.map((spec) => this.watchDir(spec.dir)));
    this.timer = setInterval(() => this.poll(), this.o.pollMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.trailing.values()) clearTimeout(t);
    this.trailing.clear();
    await Promise.all(this.watchers.map((w) => w.close()));
    this.watchers = [];
    for (const t of this.files.values()) this.close(t);
    for (const d of this.draining) this.close(d.t);
    this.files.clear();
    this.draining = [];
  }

  /** Paths currently followed (for status and tests). */
  followed(): string[] {
    return [...this.files.keys()];
  }

  private watchedDirs = new Set<string>();

  private watchDir(dir: string): Promise<void> {
    if (this.watchedDirs.has(dir) || !existsSync(dir)) return Promise.resolve();
    this.watchedDirs.add(dir);
    const specs = this.specs.filter((s) => s.dir === dir);
    const w = watch(dir, {
      depth: 0,
      ignoreInitial: true,
      ignored: (p: string) => p !== dir && !specs.some((s) => s.match(basename(p))),
    });
    w.on('add', (p: string) => this.onEvent(p));
    w.on('change', (p: string) => this.onEvent(p));
    w.on('unlink', (p: string) => this.onEvent(p));
    w.on('error', () => { /* the poll keeps us going */ });
    this.watchers.push(w);
    return new Promise((resolve) => {
      const cap = setTimeout(resolve, 2000); // the poll covers a watcher that never gets ready
      w.once('ready', () => {
        clearTimeout(cap);
        resolve();
      });
    });
  }

  private onEvent(path: string): void {
    if (this.stopped) return;
    const t = this.files.get(path);
    if (t) this.check(t);
    else if (existsSync(path)) this.open(path, 'new');
    this.trail(path);
  }

  /**
   * chokidar drops a file's change events for 50 ms after one it emitted (it
   * does not deliver them late), so lines appended in that window would wait
   * for the poll. One more look just after the window closes catches them.
   * The look follows the latest event: timed from the first event of a burst
   * it came 10 ms after the last one, while that event's window still dropped
   * writes (the pipeline bench waited a whole poll for them).
   */
  private trail(path: string): void {
    clearTimeout(this.trailing.get(path));
    const timer = setTimeout(() => {
      this.trailing.delete(path);
      if (this.stopped) return;
      const t = this.files.get(path);
      if (t) this.check(t);
    }, TRAIL_MS);
    timer.unref();
    this.trailing.set(path, timer);
  }

  private matchingFiles(): string[] {
    const out: string[] = [];
    for (const s of this.specs) {
      if (!existsSync(s.dir)) continue;
      if (!s.isGlob) {
        if (existsSync(s.path)) out.push(s.path);
        continue;
      }
      for (const name of readdirSync(s.dir).sort()) if (s.match(name)) out.push(join(s.dir, name));
    }
    return out;
  }

  private poll(): void {
    if (this.stopped) return;
    for (const s of this.specs) void this.watchDir(s.dir);
    for (const p of this.matchingFiles()) if (!this.files.has(p)) this.open(p, 'new');
    for (const t of [...this.files.values()]) this.check(t);
    const now = this.o.clock.now();
    this.draining = this.draining.filter((d) => {
      this.readAvailable(d.t);
      if (d.until > now) return true;
      this.emitPartial(d.t);
      this.close(d.t);
      return false;
    });
  }

  /** `head` or `tail` where the logpath entry that matched `path` says so (a glob's too). */
  private startOf(path: string): 'head' | 'tail' | undefined {
    const start = this.o.start;
    if (start === undefined) return undefined;
    for (let i = 0; i < this.specs.length; i++) {
      const s = this.specs[i]!;
      const opt = start[this.o.paths[i]!];
      if (opt !== undefined && dirname(path) === s.dir && s.match(basename(path))) return opt;
    }
    return undefined;
  }

  /**
   * `initial`: at start, resume from the saved position, or start at the end
   * when there is none; a path written with `tail` starts at the end anyway,
   * one with `head` at the start when there is none (startOf()). `new`: a
   * file that appeared while running is read whole.
   */
  private open(path: string, why: 'initial' | 'new'): void {
    const log = openLog(path);
    if (typeof log === 'string') {
      if (!this.notFiles.has(path)) this.note(`${path} is ${log}, not a log file: it is not read`);
      this.notFiles.add(path);
      return;
    }
    if (log === null) return;
    this.notFiles.delete(path);
    const { fd, st } = log;
    const head = readHead(fd);
    const saved = this.o.positions.getFile(path);
    let offset = 0;
    if (why === 'initial') {
      const start = this.startOf(path);
      if (start === 'tail') offset = st.size;
      else if (!saved) offset = start === 'head' ? 0 : st.size;
      else if (saved.inode === st.ino && sameHead(saved.head, head) && saved.offset <= st.size) offset = saved.offset;
      else offset = 0; // rotated or truncated while we were down: all of it is unread
    } else if (saved && saved.inode === st.ino && sameHead(saved.head, head) && saved.offset <= st.size) {
      offset = saved.offset;
    }
    const before = this.rotatedAway.get(path);
    if (before) {
      this.rotatedAway.delete(path);
      this.readMissedRotations(before, st.ino);
    }
    this.seen.add(st.ino);
    // At start, the file up to its end is what was written while we were not running: fail2ban's reading
    // before "operation mode", up to the first end of the file.
    const t: Tracked = { path, fd, inode: st.ino, readPos: offset, offset, head, splitter: new LineSplitter(this.o.decode ?? null), mtimeMs: st.mtimeMs,
      backlog: why === 'initial' };
    this.files.set(path, t);
    this.save(t);
    this.follow(t);
    t.backlog = false;
  }

  private check(t: Tracked): void {
    let st;
    try {
      st = statSync(t.path);
    } catch {
      // Renamed away and not (yet) recreated: finish the old file, then let it go.
      // Files that came and went at this path since our last look (rotated
      // twice, the last time without a successor) are read now: no later
      // open of the path may ever come to pick them up.
      this.note(`${t.path}: rotated away, no new file yet`);
      this.rotateOut(t);
      this.readMissedRotations(t, -1);
      return;
    }
    if (st.ino !== t.inode) {
      this.note(`${t.path}: rotated (new inode ${st.ino})`);
      this.rotateOut(t);
      this.open(t.path, 'new');
      return;
    }
    const head = readHead(t.fd);
    const why = st.size < t.readPos ? `shrank to ${st.size} bytes, had read ${t.readPos}`
      : !sameHead(t.head, head) ? 'its first bytes changed' : null;
    if (why) this.startOver(t, why);
    // A truncation can also land while we read: then what we read is the new content, not ours. A file
    // known by less than a whole head is checked there, against the bytes read (readAvailable).
    this.follow(t);
  }

  /**
   * A file shorter than its head at our last look (often empty, right after a
   * truncation) has no head to tell a second copytruncate by: its new content
   * may start with the same few bytes, or grow past our offset. A fresh copy
   * beside it that starts like what we read, while `head` (the bytes just read
   * from the file's start) starts differently, is that copy.
   */
  private copiedAway(t: Tracked, head: string): boolean {
    if (t.head.length >= HEAD * 2) return false;
    return this.unseenSiblings(t).some((s) => {
      const theirs = headOf(s.path);
      return theirs !== null && theirs.startsWith(t.head) && !sameHead(theirs, head);
    });
  }

  /** copytruncate: what we had not read yet went to the copy; take it from there, then read the file from its start. */
  private startOver(t: Tracked, why: string): void {
    const { taken, liveHead } = this.readTruncatedCopy(t);
    this.note(`${t.path}: truncated (${why}), reading it from the start${taken.length ? `; from the copies: ${taken.join(', ')}` : '; no copy found'}`);
    t.readPos = 0;
    t.offset = 0;
    t.splitter.reset();
    t.head = liveHead;
  }

  /** Rotated siblings of a tracked file: `auth.log.1`, `auth.log-20261121`, newest last. */
  private siblings(t: Tracked): Array<{ path: string; ino: number; size: number; mtimeMs: number }> {
    const dir = t.path.slice(0, t.path.lastIndexOf('/')) || '/';
    const base = basename(t.path);
    const out: Array<{ path: string; ino: number; size: number; mtimeMs: number }> = [];
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return out;
    }
    for (const n of names) {
      if (n === base || !n.startsWith(base) || !/^[.\-_]/.test(n.slice(base.length)) || /\.(?:gz|bz2|xz|zst)$/.test(n)) continue;
      try {
        const st = statSync(join(dir, n));
        if (st.isFile()) out.push({ path: join(dir, n), ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
      } catch {
        /* gone already */
      }
    }
    // Same-millisecond copies: a newer file usually has the higher inode number.
    return out.sort((a, b) => a.mtimeMs - b.mtimeMs || a.ino - b.ino);
  }

  /** Siblings not read yet and written since about our last read of `t`: the ones a rotation may have left lines in. */
  private unseenSiblings(t: Tracked): ReturnType<FileTailer['siblings']> {
    return this.siblings(t).filter((s) => !this.seen.has(s.ino) && s.mtimeMs >= t.mtimeMs - 1000);
  }

  /**
   * Two rotations between two looks: the middle file was renamed away before
   * we opened it. Read every unseen sibling written since our last read.
   */
  private readMissedRotations(t: Tracked, currentIno: number): void {
    for (const s of this.unseenSiblings(t)) {
      if (s.ino === currentIno) continue;
      this.note(`${s.path}: rotated away before it was followed, read whole: ${this.readWhole(s.path, s.ino, 0)} lines`);
    }
  }

  /**
   * After a copytruncate, the copy holds our unread tail: it starts with the
   * head we know. It may be shorter than what we read (lines written between
   * the copy and the truncation), and `copy` rotations can leave older, shorter
   * copies of the same file: the longest is ours, the others hold nothing new.
   * Copies made since (two truncations between two looks) were never seen and
   * are read whole, oldest first, except one that is empty or starts like the
   * file does now: that copy is being made, or made with the file not yet
   * truncated (copytruncate copies, then truncates). Its lines are still ahead
   * of us in the file itself, so it is left unseen, to be ours at the truncation.
   */
  private readTruncatedCopy(t: Tracked): { taken: string[]; liveHead: string } {
    const list = () => this.unseenSiblings(t).map((s) => ({ ...s, head: headOf(s.path) ?? '' }));
    // The file's head before and after the listing: if it did not change, no
    // truncation came in between, so every copy of an older file is listed
    // (the file keeps being rotated while we look: look again, a few times).
    let liveHead = readHead(t.fd);
    let fresh = list();
    for (let i = 0; i < 4; i++) {
      const after = readHead(t.fd);
      if (after === liveHead) break;
      liveHead = after;
      fresh = list();
    }
    // Compared over the bytes both have: a copy made while the file was shorter than a head has fewer than we know.
    const same = t.head === '' ? [] : fresh.filter((s) => s.head !== '' && sameHead(t.head, s.head));
    const ours = same.reduce<(typeof same)[number] | undefined>((a, s) => (a && a.size >= s.size ? a : s), undefined);
    const taken: string[] = [];
    if (ours) taken.push(`${basename(ours.path)} from byte ${t.offset}: ${this.readWhole(ours.path, ours.ino, t.offset)} lines`);
    for (const s of same) this.seen.add(s.ino);
    for (const s of fresh) {
      if (same.includes(s) || !s.head || (liveHead !== '' && sameHead(s.head, liveHead))) continue;
      taken.push(`${basename(s.path)} whole: ${this.readWhole(s.path, s.ino, 0)} lines`);
    }
    return { taken, liveHead };
  }

  /** Reads a rotated copy from `from` to its end; returns the number of lines. */
  private readWhole(path: string, ino: number, from: number): number {
    this.seen.add(ino);
    const log = openLog(path);
    if (log === null || typeof log === 'string') return 0;
    const { fd } = log;
    const before = this.emitted;
    const tmp: Tracked = { path, fd, inode: ino, readPos: from, offset: from, head: '', splitter: new LineSplitter(this.o.decode ?? null), mtimeMs: 0, backlog: false };
    this.readAvailable(tmp);
    this.emitPartial(tmp);
    this.close(tmp);
    return this.emitted - before;
  }

  private rotateOut(t: Tracked): void {
    this.files.delete(t.path);
    this.rotatedAway.set(t.path, t);
    this.readAvailable(t);
    this.draining.push({ t, until: this.o.clock.now() + (this.o.drainMs ?? 3000) });
  }

  /**
   * Reads what was appended. For a followed file, each chunk is kept only if
   * the file's head is still the one we know, checked after the read: a
   * copytruncate by another process can land between two looks or in the
   * middle of a read, and then the bytes at our offset are new content.
   * Returns why the chunk was not kept, or null.
   */
  private readAvailable(t: Tracked): string | null {
    const live = this.files.get(t.path) === t;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      // While we know less than a whole head (the file was nearly empty, as
      // after a truncation), a head read after the chunk can belong to a later
      // generation than the chunk, or be empty again, and pass. So read from
      // the start: the chunk then carries the head of the very bytes we keep.
      const fromStart = live && t.head.length < HEAD * 2;
      let got: number;
      try {
        got = readSync(t.fd, buf, 0, CHUNK, fromStart ? 0 : t.readPos);
      } catch {
        this.readErrors++;
        return null;
      }
      let data = buf.subarray(0, got);
      if (fromStart) {
        const head = buf.toString('hex', 0, Math.min(got, HEAD));
        if (got < t.readPos) return `shrank to ${got} bytes during a read`;
        if (!sameHead(t.head, head)) return 'its first bytes changed during a read';
        if (this.copiedAway(t, head)) return 'a fresh copy holds what it started with';
        if (head.length > t.head.length) t.head = head;
        data = buf.subarray(t.readPos, got);
      } else if (got > 0 && (live || t.head.length < HEAD * 2)) {
        const head = readHead(t.fd);
        // Shorter than the head we know: truncated since, and what we read may be either generation.
        if (live && (head.length < t.head.length || !sameHead(t.head, head))) return 'it was truncated during a read';
        if (head.length > t.head.length) t.head = head;
      }
      if (data.length === 0) break;
      t.readPos += data.length;
      const { lines, bytes } = t.splitter.push(data);
      t.offset += bytes;
      if (lines.length) this.emit(t, lines);
      if (got < CHUNK) break;
    }
    try {
      t.mtimeMs = fstatSync(t.fd).mtimeMs;
    } catch {
      /* closed underneath us */
    }
    this.save(t);
    return null;
  }

  /** Reads a followed file; a truncation found during the read takes the copies first, then the file from its start. */
  private follow(t: Tracked): void {
    const why = this.readAvailable(t);
    if (why === null) return;
    this.startOver(t, why);
    this.readAvailable(t);
  }

  private emitPartial(t: Tracked): void {
    const last = t.splitter.flush();
    if (last !== null) this.emit(t, [last]);
  }

  private emit(t: Tracked, lines: string[]): void {
    this.emitted += lines.length;
    const time = this.o.clock.now();
    const out: SourceLine[] = lines.map((line) => (t.backlog ? { jail: this.o.jail, line, time, origin: t.path, backlog: true } : { jail: this.o.jail, line, time, origin: t.path }));
    this.o.sink(out);
  }

  private note(msg: string): void {
    this.o.note?.(`${this.o.jail}: ${msg}`);
  }

  private save(t: Tracked): void {
    if (this.files.get(t.path) !== t) return;
    const pos: FilePosition = { inode: t.inode, offset: t.offset, head: t.head };
    this.o.positions.setFile(t.path, pos);
  }

  private close(t: Tracked): void {
    try {
      closeSync(t.fd);
    } catch {
      /* already closed */
    }
  }
}

function readHead(fd: number): string {
  const b = Buffer.alloc(HEAD);
  let n = 0;
  try {
    n = readSync(fd, b, 0, HEAD, 0);
  } catch {
    return '';
  }
  return b.subarray(0, n).toString('hex');
}

function headOf(path: string): string | null {
  const log = openLog(path);
  if (log === null || typeof log === 'string') return null;
  try {
    return readHead(log.fd);
  } finally {
    closeSync(log.fd);
  }
}

/**
 * Opens a log file for reading: null when it cannot be opened, or what it is
 * when it is not a regular file. Without O_NONBLOCK, opening a FIFO waits for
 * a writer, and the whole daemon with it; a regular file reads the same either way.
 * A path that is no file is not opened at all: a FIFO opened and closed at each
 * poll would let a writer that waits on it through, to write into a closed pipe.
 */
function openLog(path: string): { fd: number; st: Stats } | string | null {
  const before = statOf(path);
  if (before === undefined) return null; // gone, a symlink loop, no access: as a file that cannot be opened
  if (!before.isFile()) return notFileKind(before);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  const st = fstatSync(fd);
  if (st.isFile()) return { fd, st };
  closeSync(fd);
  return notFileKind(st);
}

/** The saved head may be shorter (the file was smaller then): compare what both have. */
function sameHead(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n) === b.slice(0, n);
}
