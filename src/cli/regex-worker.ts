import { parentPort, workerData } from 'node:worker_threads';
import '../util/regex-budget.js';
import type { FilterSpec, FilterStats } from '../filter/filter.js';
import { forEachLineInRange } from '../source/read-lines.js';
import type { HostCounts } from './host-counter.js';
import { matchOf, RegexScanner } from './regex-scan.js';
import { SplitControl } from './split-control.js';

/** What the parallel `bantop regex` asks of its worker (see regex-parallel.ts). */
export interface WorkerTask {
  spec: FilterSpec;
  path: string;
  now: number;
  json: boolean;
  /** Checkpoints: every `every` lines, `count` of them. */
  every: number;
  count: number;
}

export type WorkerReply =
  | { kind: 'checkpoints'; prints: string[] }
  | {
    kind: 'done';
    totals: FilterStats;
    /** Stats after each checkpoint. */
    snaps: FilterStats[];
    counts: HostCounts;
    /** Failures up to the last checkpoint: their lines and hosts, to take back out. */
    earlyLines: number[];
    earlyHosts: string[];
    /** --json: each failure's line and its JSON text without the line. */
    matchLines: number[];
    matchTexts: string[];
  };

const port = parentPort!;
const ctl = new SplitControl((workerData as { ctl: SharedArrayBuffer }).ctl);
// The thread may boot before the command line has been read (regex-thread.ts): its task comes as a message.
port.once('message', (task: WorkerTask) => run(task));

function run(task: WorkerTask): void {
  const horizon = task.every * task.count;
  const earlyLines: number[] = [];
  const earlyHosts: string[] = [];
  const matchLines: number[] = [];
  const matchTexts: string[] = [];
  const scanner = new RegexScanner(task.spec, task.now, (line, f) => {
    if (line <= horizon) {
      earlyLines.push(line);
      earlyHosts.push(f.host);
    }
    if (task.json) {
      matchLines.push(line);
      const { line: _omit, ...rest } = matchOf(line, f);
      matchTexts.push(JSON.stringify(rest));
    }
  });
  const start = ctl.awaitCut();
  if (start !== null) {
    const prints: string[] = [];
    const snaps: FilterStats[] = [];
    forEachLineInRange(task.path, start, Infinity, (text) => {
      scanner.line(text);
      if (scanner.lines <= horizon && scanner.lines % task.every === 0) {
        prints.push(scanner.filter.fingerprint());
        snaps.push({ ...scanner.stats });
        if (scanner.lines === horizon) port.postMessage({ kind: 'checkpoints', prints } satisfies WorkerReply);
      }
      return true;
    });
    if (scanner.lines < horizon) port.postMessage({ kind: 'checkpoints', prints } satisfies WorkerReply);
    const counts = scanner.counts.export();
    port.postMessage({ kind: 'done', totals: { ...scanner.stats }, snaps, counts, earlyLines, earlyHosts, matchLines, matchTexts } satisfies WorkerReply);
  }
}
