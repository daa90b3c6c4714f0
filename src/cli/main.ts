#!/usr/bin/env node
import { prestartRegexWorker } from './regex-thread.js';

// The entry loads almost nothing before it knows the command: `bantop regex` on a
// large file starts its second thread here, so the thread boots while the CLI
// loads (0.1 s of modules, zod among them) instead of after.
const argv = process.argv.slice(2);
// `bantop regex … | head`: a reader that stops early ends the output, it is not an error (an EPIPE stack trace otherwise).
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(0);
});
prestartRegexWorker(argv);
const { run } = await import('./app.js');
await run(argv);
