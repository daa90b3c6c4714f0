import { resolve } from 'node:path';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { Filter, type FilterSpec } from '../filter/filter.js';
import { lineDecoder } from '../source/log-encoding.js';
import { LineReader } from '../source/read-lines.js';
import { ChunkChain, emptyScanStats, type ChainTotals } from './chunk-chain.js';
import { filterFromArgument, type FilterOverrides } from './filter-argument.js';
import { countsBuffers, type HostCounts } from './host-counter.js';
import { MatchLog, matchLogBuffers, SpillFile, type MatchLogData } from './match-log.js';
import { readOnUntilMeet, readToCheckpoints, RegexScanner, type ScanStats } from './regex-scan.js';
import { SplitControl, WORKER } from './split-control.js';
import { emptyListOf } from '../util/empty-list.js';
import { keepTranslations, type TranslatedRegex } from '../filter/pyregex.js';

/** What the parallel `bantop regex` asks of its worker (see regex-parallel.ts). */
export interface WorkerTask {
  spec: FilterSpec;
  path: string;
  now: number;
  json: boolean;
  /**
   * --json: the open spill file the worker's full blocks of matches go to
   * (match-log.ts). The first thread opens it: Node closes the files a worker
   * opened itself when it ends, and the first thread reads the blocks after.
   */
  spillFd?: number | undefined;
  /** LOG's encoding (`--encoding`); absent: UTF-8. */
  encoding?: string | undefined;
}

/**
 * How the worker came by its filter: built from the task that was there when
 * it booted (`posted`), from its guess of the task, which was right
 * (`guessed`), or after the task came (`built`).
 */
export type WorkerFilter = 'posted' | 'guessed' | 'built';

/** What the entry read from the command line, for a worker started before the CLI has loaded (regex-thread.ts). */
export interface EarlyGuess {
  configDir: string;
  /** FILTER as given. */
  filter: string;
  /** LOG, resolved. */
  path: string;
  now: number;
  json: boolean;
  /** --timezone, --datepattern, --maxlines and IGNOREREGEX as given. */
  overrides: FilterOverrides;
  /** --encoding as given. */
  encoding?: string | undefined;
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
  totals: ScanStats;
  /** Stats at each checkpoint (regex-scan.ts). */
  snaps: ScanStats[];
  /** Failures after the last checkpoint (and on into later chunks). */
  counts: HostCounts;
  /** Failures up to the last checkpoint, per stretch between checkpoints (RegexScanner.segments). */
  segments: HostCounts[];
  /** Where this chunk's filter reached the state of a later chunk's fresh filter; null: it read to the end. */
  meet: { chunk: number; line: number } | null;
  /** --json: the failures, by their line counted from the chunk's start. */
  matches: MatchLogData | null;
}

export type WorkerReply =
  | { kind: 'prints'; chunk: number; prints: string[] }
  /**
   * `chain`: the chunks after the last one summed (chunk-chain.ts); null with --json, whose matches go one by one.
   * With a chain, `chunks` holds only the last chunk read, all the first thread needs unless its state met a
   * later one; it then asks for the rest (`complete` false).
   */
  | { kind: 'done'; chunks: ChunkResult[]; complete: boolean; chain: ChainTotals | null; filter: WorkerFilter }
  /** The chunks `done` did not hold. */
  | { kind: 'rest'; chunks: ChunkResult[] };

/**
 * What the first thread posts after the task: the translations of the
 * filter's regexes (pyregex.ts), so that a worker that has not built its
 * filter yet builds it without translating them again; and, when the worker
 * is done, a request for the rest of its results.
 */
export type WorkerRequest = { kind: 'translations'; list: Array<[string, TranslatedRegex]> } | { kind: 'rest' };

const port = parentPort!;
const data = workerData as { ctl: SharedArrayBuffer; early: EarlyGuess | null };
const ctl = new SplitControl(data.ctl);
// The first thread posts its task as soon as it has checked it, before it builds its own filter (which waits
// for this boot): the task is usually here already (looked for before the boot is announced, so that a test
// can tell which way it went).
const posted = receiveMessageOnPort(port)?.message as WorkerTask | undefined;
// The first thread may wait for this before it sets V8's regex flag (util/regex-budget.ts).
ctl.booted();
if (posted !== undefined) {
  const compiled = build(posted);
  if (ctl.awaitChunks()) run(posted, compiled, 'posted');
} else {
  const guessed = data.early === null ? null : guess(data.early);
  if (guessed === null) {
    // The task comes as a message once the first thread has it.
    port.once('message', (task: WorkerTask) => {
      const compiled = build(task);
      if (ctl.awaitChunks()) run(task, compiled, 'built');
    });
  } else if (ctl.awaitChunks()) {
    // The first thread posts its task before it cuts the chunks: it is there.
    const task = receiveMessageOnPort(port)?.message as WorkerTask | undefined;
    if (task === undefined) throw new Error('regex worker: the chunks were cut but no task came');
    const same = sameTask(task, guessed.task);
    run(task, same ? guessed.compiled : build(task), same ? 'guessed' : 'built');
  }
}

/** The task's filter; with the first thread's translations when they have come (they follow the task). */
function build(task: WorkerTask): Filter {
  const next = receiveMessageOnPort(port)?.message as WorkerRequest | undefined;
  if (next?.kind === 'translations') keepTranslations(next.list);
  return new Filter(task.spec);
}

/**
 * The task as the entry's command line gives it, its filter built (~50 ms of
 * translating and compiling regexes, done here while the first thread still
 * loads the CLI). Null when the filter cannot be found or built: the first
 * thread reports why.
 */
function guess(g: EarlyGuess): { task: WorkerTask; compiled: Filter } | null {
  try {
    const { spec } = filterFromArgument(g.configDir, g.filter, g.overrides);
    return { task: { spec, path: g.path, now: g.now, json: g.json, encoding: g.encoding }, compiled: new Filter(spec) };
  } catch {
    return null;
  }
}

function sameTask(a: WorkerTask, b: WorkerTask): boolean {
  return a.now === b.now && a.json === b.json && a.encoding === b.encoding && resolve(a.path) === resolve(b.path) && JSON.stringify(a.spec) === JSON.stringify(b.spec);
}

/** Reads chunks with a filter like `compiled` until none is left, and posts the results. */
function run(task: WorkerTask, compiled: Filter, filter: WorkerFilter): void {
  const n = ctl.chunkCount;
  const prints = new Map<number, string[]>();
  const chunks: ChunkResult[] = [];
  const chain = task.json ? null : new ChunkChain();
  if (task.json && task.spillFd === undefined) throw new Error('regex worker: --json without a spill file');
  const spill = task.json ? new SpillFile(task.spillFd!) : null;
  // From the back: the first thread takes chunks from the front, and the two meet wherever that falls.
  let before: Filter | null = null;
  for (let k = n - 1; k >= 0 && ctl.claim(k, WORKER); k--) {
    const { result: r, filter } = readChunk(task, compiled, k, n, prints, before, spill);
    chunks.push(r);
    chain?.add(r);
    before = filter;
  }
  const totals = chain?.totals() ?? null;
  // Posting every chunk's counts took 8 ms of structured cloning here, and as long again to read on the first thread.
  const sent = totals === null ? chunks : chunks.filter((c) => c.chunk === totals.after);
  const unsent = chunks.filter((c) => !sent.includes(c));
  port.on('message', (m: WorkerRequest) => {
    if (m.kind === 'rest') port.postMessage({ kind: 'rest', chunks: unsent } satisfies WorkerReply, unsent.flatMap(chunkBuffers));
  });
  // The counts' tables are handed over, not copied: this thread is done with them.
  const moved = [...sent.flatMap(chunkBuffers), ...(totals === null ? [] : countsBuffers(totals.counts))];
  port.postMessage({ kind: 'done', chunks: sent, complete: sent === chunks, chain: totals, filter } satisfies WorkerReply, moved);
}

function chunkBuffers(r: ChunkResult): ArrayBuffer[] {
  return [...[r.counts, ...r.segments].flatMap(countsBuffers), ...(r.matches === null ? [] : matchLogBuffers(r.matches))];
}

/**
 * Chunk k, with a filter like `compiled` that starts fresh but for its date
 * formats, which are tried in the order the filter of the chunk read before
 * (`before`) left them. Which format a filter tries first is part of its
 * state (its fingerprint), so this changes no result: where the states meet
 * is still checked. A filter that knows no format yet searches them all on
 * its first line, in code that V8 had optimised for lines whose format is
 * known; that call then threw the optimised reading loop away, once per
 * run, and compiling it again took 30 ms of this thread.
 */
function readChunk(task: WorkerTask, compiled: Filter, k: number, n: number, prints: Map<number, string[]>, before: Filter | null, spill: SpillFile | null): { result: ChunkResult; filter: Filter } {
  const log = task.json ? new MatchLog(spill) : null;
  const scanner = new RegexScanner(compiled, task.now, log === null ? undefined : (line, f) => log.add(line, f), true);
  if (task.encoding !== undefined) scanner.decode = lineDecoder(task.encoding) ?? null;
  if (before !== null) scanner.filter.datesLike(before);
  // Made with the element kinds they will hold: pushed to at the checkpoints, in code optimised for the chunk's first lines.
  const mine = emptyListOf('');
  const snaps = emptyListOf(emptyScanStats());
  const { start, end } = ctl.chunk(k);
  const r = new LineReader(task.path, start, end, scanner.decode);
  try {
    // A chunk's first lines, up to the last checkpoint, with the filter's state recorded at each.
    readToCheckpoints(scanner, r, () => {
      mine.push(scanner.filter.fingerprint());
      snaps.push(scanner.snapshot());
      return false;
    });
    // The first thread may need the fingerprints as soon as it reaches this chunk.
    port.postMessage({ kind: 'prints', chunk: k, prints: mine } satisfies WorkerReply);
    scanner.readAll(r);
  } finally {
    r.close();
  }
  prints.set(k, mine);
  const lines = scanner.lines;
  // On into the later chunks, all read already by this thread, until this filter's state meets one's fresh state.
  let meet: ChunkResult['meet'] = null;
  for (let j = k + 1; j < n && meet === null; j++) {
    const at = readOnUntilMeet(scanner, task.path, ctl.chunk(j), prints.get(j)!);
    if (at !== null) meet = { chunk: j, line: at };
  }
  const result = {
    chunk: k, lines, totals: scanner.snapshot(), snaps, counts: scanner.counts.handOver(), segments: scanner.segments!.map((c) => c.handOver()), meet, matches: log?.handOver() ?? null,
  };
  return { result, filter: scanner.filter };
}
