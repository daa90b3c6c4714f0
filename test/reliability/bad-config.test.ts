import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO } from '../support/daemon.js';

/**
 * The corpus: one directory per broken config (its files over bantop's
 * shipped filters), with `expected` holding the first line bantop must print,
 * `{dir}` standing for the config directory.
 */
const CORPUS = join(REPO, 'test', 'reliability', 'corpus', 'configs');
const work = mkdtempSync(join(tmpdir(), 'bantop-badcfg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('malformed configs: each names its file, line and key, and exits 2', () => {
  for (const name of readdirSync(CORPUS).sort()) {
    it(name, () => {
      const dir = join(work, name);
      mkdirSync(join(dir, 'filter.d'), { recursive: true });
      cpSync(join(REPO, 'assets', 'config', 'filter.d'), join(dir, 'filter.d'), { recursive: true });
      cpSync(join(CORPUS, name), dir, { recursive: true, filter: (src) => !src.endsWith('/expected') });
      const expected = readFileSync(join(CORPUS, name, 'expected'), 'utf8').trim().replaceAll('{dir}', dir);
      // `config check` loads exactly what `serve` loads (serve is not run here: a case that
      // stopped failing would start a daemon on this machine's firewall).
      const r = spawnSync(process.execPath, [CLI, '--config', dir, 'config', 'check'], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(expected);
      expect(r.stderr).toMatch(/\n {2}next: /);
      expect(r.stderr).not.toMatch(/internal error|\n {4}at /);
    });
  }
});
