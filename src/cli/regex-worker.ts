import { parentPort, workerData } from 'node:worker_threads';
import '../util/regex-budget.js';
import { Filter, type FilterSpec, type FilterStats } from '../filter/filter.js';
import { forEachLineInRange } from '../source/read-lines.js';
import { ChunkChain, type ChainTotals } from './chunk-chain.js';
import type { HostCounts } from './host-counter.js';
import { CHECKPOINT_LAST, checkpointIndex, matchOf, readOnUntilMeet, RegexScanner } from './regex-scan.js';
import { SplitControl, WORKER } from './split-control.js';

/** What the parallel `bantop regex` asks of its worker (see regex-parallel.ts). */
export interface WorkerTask {
  spec: FilterSpec;
  path: string;
  now: number;
  json: boolean;
}

/**
 * What the worker read from one chunk, with a filter that started fresh at
 * the chunk's first line. Line numbers count from that line.
 */
export interface ChunkResult {
  chunk: number;
  /** Lines in the chunk itself. */
  lines: number;
  /** Everything this chunk's filter read: its chunk, and on into later chunks until the states met. */
  totals: FilterStats;
  /** Stats at each checkpoint (regex-scan.ts). */
  snaps: FilterStats[];
  /** Failures after the last checkpoint (and on into later chunks). */
  counts: HostCounts;
  /** Failures up to the last checkpoint, per stretch between checkpoints (RegexScanner.segments). */
  segments: HostCounts[];
  /** Where this chunk's filter reached the state of a later chunk's fresh filter; null: it read to the end. */
  meet: { chunk: number; line: number } | null;
  /** --json: each failure's line and its JSON text without the line. */
  matchLines: number[];
  matchTexts: string[];
}

export type WorkerReply =
  | { kind: 'prints'; chunk: number; prints: string[] }
  /** `chain`: the chunks after the last one summed (chunk-chain.ts); null with --json, whose matches go one by one. */
  | { kind: 'done'; chunks: ChunkResult[]; chain: ChainTotals | null };

const port = parentPort!;
const ctl = new SplitControl((workerData as { ctl: SharedArrayBuffer }).ctl);
// The thread may boot before the command line has been read (regex-thread.ts): its task comes as a message.
port.once('message', (task: WorkerTask) => run(task));

function run(task: WorkerTask): void {
  // Built once, before the worker says it is ready; each chunk's fresh filter shares its compiled regexes.
  const compiled = new Filter(task.spec);
  if (!ctl.awaitChunks()) return;
  const n = ctl.chunkCount;
  const prints = new Map<number, string[]>();
  const chunks: ChunkResult[] = [];
  const chain = task.json ? null : new ChunkChain();
  // From the back: the first thread takes chunks from the front, and the two meet wherever that falls.
  for (let k = n - 1; k >= 0 && ctl.claim(k, WORKER); k--) {
    const r = readChunk(task, compiled, k, n, prints);
    chunks.push(r);
    chain?.add(r);
  }
  port.postMessage({ kind: 'done', chunks, chain: chain?.totals() ?? null } satisfies WorkerReply);
}

function readChunk(task: WorkerTask, compiled: Filter, k: number, n: number, prints: Map<number, string[]>): ChunkResult {
  const horizon = CHECKPOINT_LAST;
  const matchLines: number[] = [];
  const matchTexts: string[] = [];
  const scanner = new RegexScanner(compiled, task.now, task.json ? (line, f) => {
    matchLines.push(line);
    const { line: _omit, ...rest } = matchOf(line, f);
    matchTexts.push(JSON.stringify(rest));
  } : undefined, true);
  const mine: string[] = [];
  const snaps: FilterStats[] = [];
  const post = () => port.postMessage({ kind: 'prints', chunk: k, prints: mine } satisfies WorkerReply);
  const { start, end } = ctl.chunk(k);
  forEachLineInRange(task.path, start, end, (text) => {
    scanner.line(text);
    if (checkpointIndex(scanner.lines) >= 0) {
      mine.push(scanner.filter.fingerprint());
      snaps.push({ ...scanner.stats });
      if (scanner.lines === horizon) post();
    }
    return true;
  });
  if (scanner.lines < horizon) post();
  prints.set(k, mine);
  const lines = scanner.lines;
  // On into the later chunks, all read already by this thread, until this filter's state meets one's fresh state.
  let meet: ChunkResult['meet'] = null;
  for (let j = k + 1; j < n && meet === null; j++) {
    const at = readOnUntilMeet(scanner, task.path, ctl.chunk(j), prints.get(j)!);
    if (at !== null) meet = { chunk: j, line: at };
  }
  return {
    chunk: k, lines, totals: { ...scanner.stats }, snaps, counts: scanner.counts.export(), segments: scanner.segments!.map((c) => c.export()), meet, matchLines, matchTexts,
  };
}
