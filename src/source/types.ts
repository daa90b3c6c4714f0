/** Every source (files, journal, kernel log) feeds the engine this one shape. */
export interface SourceLine {
  jail: string;
  line: string;
  /** Epoch ms when read, or the line's own time where `stamped`. */
  time: number;
  /** The file path or "journal", for the UI's tail. */
  origin: string;
  /**
   * Read back, not as it was written: what a file held past its saved
   * position at start, journal entries from before the source started. Its
   * date stands as written; a live line's may be taken as now (Engine.line).
   */
  backlog?: true;
  /** `time` is the line's own (a journal entry's), not when it was read: no date is looked for in its text. */
  stamped?: true;
}

export type LineSink = (lines: SourceLine[]) => void;

/** Where a file was read up to: same inode and same head bytes means "same file". */
export interface FilePosition {
  inode: number;
  offset: number;
  /** Hex of the file's first bytes (up to 64) when the position was saved. */
  head: string;
}

/**
 * Saved read positions and journal cursors. In memory for tests and the demo;
 * the SQLite store implements it for the daemon.
 */
export interface PositionStore {
  getFile(path: string): FilePosition | undefined;
  setFile(path: string, pos: FilePosition): void;
  getCursor(key: string): string | undefined;
  setCursor(key: string, cursor: string): void;
}

export class MemoryPositionStore implements PositionStore {
  private readonly files = new Map<string, FilePosition>();
  private readonly cursors = new Map<string, string>();
  getFile(path: string) {
    return this.files.get(path);
  }
  setFile(path: string, pos: FilePosition) {
    this.files.set(path, { ...pos });
  }
  getCursor(key: string) {
    return this.cursors.get(key);
  }
  setCursor(key: string, cursor: string) {
    this.cursors.set(key, cursor);
  }
}

export interface LogSource {
  start(): Promise<void>;
  stop(): Promise<void>;
}
