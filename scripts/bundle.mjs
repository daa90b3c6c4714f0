// The second step of `npm run build`: the CLI's two entry points, as tsc
// compiled them, are bundled (dist/cli/main.js in place, the command;
// dist/cli/regex-worker.cjs, the second thread of `bantop regex`).
//
// Why: Node's ESM loader costs about 0.3 ms per module file, and zod alone is
// 225 files. Loaded file by file, zod took 75 ms of every command's start,
// and the CLI's own modules and the worker's as many again. Bundled, `bantop
// regex` on 1,000,000 sshd lines ends 40 ms sooner (median of 24 interleaved
// pairs). Shared code goes into chunks beside the entries, in the same folder,
// so paths that modules resolve from import.meta.url (assets/, the worker)
// stay what they are in tsc's output. Commands the entry imports lazily (the
// daemon, the TUI) stay lazy: they become chunks of their own.
//
// Packages other than zod stay outside: a native addon (better-sqlite3) cannot
// be bundled, and the rest load only with the commands that use them.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist', 'cli');
const CHUNK = 'bundle-';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies).filter((name) => name !== 'zod');

// Chunks of an earlier build: their names carry a content hash, so a new build does not overwrite them.
for (const f of readdirSync(out)) if (f.startsWith(CHUNK)) rmSync(join(out, f));

// zod/mini for the entry, bundled on its own first and kept out of the chunks: split with the rest, it
// would share one 660 KB chunk of zod's core with the classic API (util/zod-mini.ts).
const ZOD_MINI = '../util/zod-mini.js';
await build({
  entryPoints: [join(out, ZOD_MINI)],
  outfile: join(out, ZOD_MINI),
  allowOverwrite: true,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});

await build({
  entryPoints: [join(out, 'main.js')],
  outdir: out,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: [...external, ZOD_MINI],
  chunkNames: `${CHUNK}[name]-[hash]`,
  // esbuild follows tsc's source maps: with --enable-source-maps a stack trace names the TypeScript lines.
  sourcemap: true,
  logLevel: 'warning',
});

// The worker, as one CommonJS file of its own. A worker whose entry is an ES
// module first compiles Node's ES module loader in its fresh isolate, then
// loads its modules through it; one CommonJS file needs neither. Measured on
// 1,000,000 sshd lines: the worker was ready to read 30-50 ms sooner (it took
// 75-150 ms from its start), and the whole command used 20 ms less CPU and
// ended 10 ms sooner (means of 40 interleaved pairs, the wall time within
// +-25 ms). Its code shares no chunk with the entry's, and needs none: a
// worker has a heap of its own.
const worker = await build({
  entryPoints: [join(out, 'regex-worker.js')],
  outfile: join(out, 'regex-worker.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  logLevel: 'silent',
});
// import.meta is empty in CommonJS: code of the worker's that used it would break only at run time.
const metaWarnings = worker.warnings.filter((w) => /import\.meta/.test(w.text));
if (metaWarnings.length > 0) {
  for (const w of metaWarnings) console.error(`${w.location?.file}:${w.location?.line}: ${w.text}`);
  throw new Error('bundle: the regex worker uses import.meta, which a CommonJS bundle cannot give it');
}
for (const w of worker.warnings) console.warn(`bundle: ${w.location?.file ?? ''}:${w.location?.line ?? ''}: ${w.text}`);
