#!/usr/bin/env node
// First: it sets V8's regex backtrack budget before any filter is compiled.
import '../util/regex-budget.js';
import { prestartRegexWorker } from './regex-thread.js';

// The entry loads almost nothing before it knows the command: `bantop regex` on a
// large file starts its second thread here, so the thread boots while the CLI
// loads (0.1 s of modules, zod among them) instead of after.
const argv = process.argv.slice(2);
prestartRegexWorker(argv);
const { run } = await import('./app.js');
await run(argv);
