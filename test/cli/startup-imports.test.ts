import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli');

/**
 * The files and packages a command loads before it runs: the bundle's static
 * imports from the entry, and the entry's one import that always happens (the
 * CLI, `await import` at its top level). What a command imports lazily is
 * not followed.
 */
function startupGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^(?:import\s[^;]*?from\s*|import\s*|var \{[^}]*\} = await import\()"([^"]+)"/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) todo.push(resolve(dirname(f), spec));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  }
  return { files, packages };
}

describe('what every command loads before it starts (the bundle in dist/cli)', () => {
  it('is the CLI and zod/mini: no package, and not zod\'s classic API (execa, SQLite, Redis, Ink and zod\'s 660 KB come with the commands that use them)', () => {
    const { files, packages } = startupGraph(join(CLI, 'main.js'));
    // Found the CLI itself, so the walk followed the entry's import of it.
    expect([...files].some((f) => /bundle-app-\w+\.js$/.test(f))).toBe(true);
    expect([...packages]).toEqual([]);
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toContain('node_modules/zod/v4/classic/');
  });
});
