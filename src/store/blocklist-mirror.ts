import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { localDateTime } from '../banlog/format.js';
import { scanBlocklist, type BlocklistEntry } from './blocklist-file.js';

export interface PermanentBan {
  ip: string;
  jail: string;
  bannedAt: number;
  source: string;
  reason?: string | undefined;
}

// Both are built with join, not a template literal: a template literal makes a
// rope (a 32-byte node per piece) that stays one while it sits in the map, and
// at a million permanent bans those ropes were a third of the daemon's heap.
const key = (ip: string, jail: string) => [ip, jail].join(',');

/** `ip,jail  # bantop 2026-11-21 10:00:00 permanent (reason)` */
export function blocklistLine(b: PermanentBan): string {
  const why = (b.reason ?? b.source).replace(/[\r\n]+/g, ' ');
  return [b.ip, ',', b.jail, '  # bantop ', localDateTime(b.bannedAt), ' permanent (', why, ')'].join('');
}

/**
 * The reason in a line's comment. A line bantop wrote carries its own stamp
 * around the reason; reading it back must give the reason, not a stamp that
 * every rewrite would wrap once more.
 */
export function blocklistReason(comment: string): string {
  const m = /^bantop \d{4}-\d\d-\d\d \d\d:\d\d:\d\d permanent \((.*)\)$/.exec(comment.trim());
  return m ? blocklistReason(m[1]!) : comment.trim();
}

export type MirrorChange = { op: 'add'; ban: PermanentBan } | { op: 'del'; ip: string; jail: string };

const HEADER = '# bantop permanent list: one "ip,jail" per line. Edit freely; bantop picks up\n' +
  '# added and removed lines on reload or within a second. Lines starting with # are ignored.\n';

/**
 * The permanent list as a plain file an operator can read and edit, one line
 * per address and jail. A new permanent ban is appended; a removal rewrites
 * the file (temp file, then rename) from the lines kept in memory, so a ban at
 * a million entries costs one line, not a million. Edits by hand are read back
 * as a difference against what bantop last wrote; a bad line is reported and
 * skipped, never fatal.
 */
export class BlocklistMirror {
  /** address,jail -> its line, as in the file bantop last wrote (or read), in file order. */
  private lines = new Map<string, string>();
  /** The file as bantop left it, so its own writes are told from an operator's edit without reading it. */
  private own: { ino: number; size: number; mtimeMs: number } | null = null;
  /** Problems of the last read; kept in the file as comments so an operator's bad line is not silently lost. */
  private skipped: string[] = [];
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The jail of a line that names none (read()'s). */
  private defaultJail = 'manual';

  constructor(readonly path: string) {}

  /** The file's entries (no jail means `defaultJail`), its problems, or null when there is no file. */
  read(defaultJail: string): { entries: Array<BlocklistEntry & { jail: string }>; problems: string[] } | null {
    this.defaultJail = defaultJail;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      return { entries: [], problems: [`${this.path}: cannot read: ${(e as Error).message}`] };
    }
    const { entries, problems } = scanBlocklist(text, this.path);
    this.skipped = problems.map((p) => p.slice(this.path.length + 1).replace(/[\r\n]+/g, ' '));
    const seen = new Set<string>();
    const out: Array<BlocklistEntry & { jail: string }> = [];
    for (const e of entries) {
      const jail = e.jail ?? defaultJail;
      const k = key(e.ip, jail);
      if (seen.has(k)) continue; // a duplicated line collapses into one
      seen.add(k);
      out.push({ ...e, jail });
    }
    return { entries: out, problems };
  }

  /** Whether the file is still exactly as bantop left it (its own write, seen by the watch). */
  unchanged(): boolean {
    if (this.own === null) return false;
    try {
      const st = statSync(this.path);
      return st.ino === this.own.ino && st.size === this.own.size && st.mtimeMs === this.own.mtimeMs;
    } catch {
      return false;
    }
  }

  /** Pairs bantop wrote last that an edit removed. Empty until bantop has written the file once in this process. */
  removedBy(entries: ReadonlyArray<{ ip: string; jail: string }>): Array<{ ip: string; jail: string }> {
    const now = new Set(entries.map((e) => key(e.ip, e.jail)));
    const out: Array<{ ip: string; jail: string }> = [];
    for (const k of this.lines.keys()) {
      if (now.has(k)) continue;
      const comma = k.lastIndexOf(',');
      out.push({ ip: k.slice(0, comma), jail: k.slice(comma + 1) });
    }
    return out;
  }

  /** The whole list, written afresh (at start, on reload, after an edit was taken in). */
  write(bans: Iterable<PermanentBan>): void {
    const lines = new Map<string, string>();
    for (const b of bans) {
      const k = key(b.ip, b.jail);
      if (!lines.has(k)) lines.set(k, blocklistLine(b));
    }
    this.lines = lines;
    this.rewrite();
  }

  /**
   * Changes since the last write, in order: additions only are appended; any
   * removal rewrites. A change that is not in the file (a timed ban ending)
   * leaves it alone. When someone else changed the file since bantop wrote it
   * (an edit the watch has not taken in yet), their edit is kept: our changes
   * go into their text, and the watch then takes the edit in as it would have.
   * Rewriting from the lines in memory there put back a line the operator had
   * just removed, and the ban it stood for stayed.
   */
  apply(changes: ReadonlyArray<MirrorChange>): void {
    if (changes.length === 0) return;
    const appended: string[] = [];
    const removed = new Set<string>();
    for (const c of changes) {
      if (c.op === 'add') {
        const k = key(c.ban.ip, c.ban.jail);
        if (this.lines.has(k)) continue;
        const line = blocklistLine(c.ban);
        this.lines.set(k, line);
        appended.push(line);
      } else {
        const k = key(c.ip, c.jail);
        if (this.lines.delete(k)) removed.add(k);
      }
    }
    if (removed.size === 0 && appended.length === 0) return;
    if (!this.unchanged() && this.own !== null) {
      this.applyOverEdit(appended, removed);
      return;
    }
    if (removed.size > 0 || this.own === null) this.rewrite();
    else {
      appendFileSync(this.path, appended.map((l) => `${l}\n`).join(''));
      this.remember();
    }
  }

  /**
   * Our changes written into the file as someone else left it: their lines
   * stay, ours are appended, and lines of ours that went are dropped. What
   * bantop last wrote is not remembered anew, so the watch still sees their
   * edit, and removedBy() still tells what they removed.
   */
  private applyOverEdit(appended: string[], removed: ReadonlySet<string>): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // Deleted: an edit that removes nothing (read() gives no file, and the watch leaves it at that), so the
      // list is written whole again, as before the deletion plus these changes.
      this.rewrite();
      return;
    }
    const drop = new Set<number>();
    if (removed.size > 0) {
      for (const e of scanBlocklist(text, this.path).entries) if (removed.has(key(e.ip, e.jail ?? this.defaultJail))) drop.add(e.line);
    }
    const kept = drop.size === 0 ? text : text.split('\n').filter((_, i) => !drop.has(i + 1)).join('\n');
    const body = kept === '' || kept.endsWith('\n') ? kept : `${kept}\n`;
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, body + appended.map((l) => `${l}\n`).join(''), { mode: 0o644 });
    renameSync(tmp, this.path);
  }

  private rewrite(): void {
    const parts = [HEADER];
    for (const l of this.lines.values()) parts.push(l, '\n');
    for (const p of this.skipped) parts.push(`# bantop skipped ${p}\n`);
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, parts.join(''), { mode: 0o644 });
    renameSync(tmp, this.path);
    this.remember();
  }

  private remember(): void {
    const st = statSync(this.path);
    this.own = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  }

  /** Call `onEdit` (debounced) when someone else changes the file. The directory is watched: renames replace the file. */
  watch(onEdit: () => void, debounceMs = 250): void {
    this.unwatch();
    const name = basename(this.path);
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      this.watcher = watch(dirname(this.path), { persistent: false }, (_ev, file) => {
        if (file !== null && file !== name) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(onEdit, debounceMs);
        this.timer.unref();
      });
      this.watcher.on('error', () => this.unwatch());
    } catch {
      // No watch (a missing directory we cannot create): reload still picks up edits.
    }
  }

  unwatch(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
