import { mkdirSync, readFileSync, renameSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
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

const key = (ip: string, jail: string) => `${ip},${jail}`;

/** `ip,jail  # bantop 2026-11-21 10:00:00 permanent (reason)` */
export function blocklistLine(b: PermanentBan): string {
  const why = (b.reason ?? b.source).replace(/[\r\n]+/g, ' ');
  return `${b.ip},${b.jail}  # bantop ${localDateTime(b.bannedAt)} permanent (${why})`;
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

/**
 * The permanent list as a plain file an operator can read and edit. bantop
 * rewrites it whole (temp file, then rename) from its own state, one line per
 * address and jail. Edits by hand are read back as a difference against what
 * bantop last wrote; a bad line is reported and skipped, never fatal.
 */
export class BlocklistMirror {
  private lastText: string | null = null;
  /** address,jail pairs in the file bantop last wrote (or read). */
  private lastKeys = new Set<string>();
  /** Problems of the last read; kept in the file as comments so an operator's bad line is not silently lost. */
  private skipped: string[] = [];
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly path: string) {}

  /** The file's entries (no jail means `defaultJail`), its problems, or null when there is no file. */
  read(defaultJail: string): { entries: Array<BlocklistEntry & { jail: string }>; problems: string[]; text: string } | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      return { entries: [], problems: [`${this.path}: cannot read: ${(e as Error).message}`], text: '' };
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
    return { entries: out, problems, text };
  }

  /** Whether `text` is exactly what bantop wrote last (its own write, seen by the watch). */
  isOwn(text: string): boolean {
    return text === this.lastText;
  }

  /** Pairs bantop wrote last that an edit removed. Empty until bantop has written the file once in this process. */
  removedBy(entries: ReadonlyArray<{ ip: string; jail: string }>): Array<{ ip: string; jail: string }> {
    const now = new Set(entries.map((e) => key(e.ip, e.jail)));
    const out: Array<{ ip: string; jail: string }> = [];
    for (const k of this.lastKeys) {
      if (now.has(k)) continue;
      const comma = k.lastIndexOf(',');
      out.push({ ip: k.slice(0, comma), jail: k.slice(comma + 1) });
    }
    return out;
  }

  write(bans: Iterable<PermanentBan>): void {
    const lines: string[] = [];
    const keys = new Set<string>();
    for (const b of bans) {
      const k = key(b.ip, b.jail);
      if (keys.has(k)) continue;
      keys.add(k);
      lines.push(blocklistLine(b));
    }
    lines.sort();
    const text = `# bantop permanent list: one "ip,jail" per line. Edit freely; bantop picks up\n` +
      `# added and removed lines on reload or within a second. Lines starting with # are ignored.\n` +
      lines.map((l) => `${l}\n`).join('') +
      this.skipped.map((p) => `# bantop skipped ${p}\n`).join('');
    if (text === this.lastText) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, this.path);
    this.lastText = text;
    this.lastKeys = keys;
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
