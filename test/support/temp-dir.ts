import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A fresh directory for each test of the file, removed after it; call the result for its path. */
export function tempDirEach(prefix: string): () => string {
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), `bantop-${prefix}-`)); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}
