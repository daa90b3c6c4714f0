import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { configDirOf } from '../config/default-dir.js';
import { beforeRegexBudget } from '../util/regex-budget.js';
import { GLOBAL_OPTIONS, parseArgv } from './argv.js';
import type { TranslatedRegex } from '../filter/pyregex.js';
import type { ChunkResult, EarlyGuess, WorkerReply, WorkerRequest, WorkerTask } from './regex-worker.js';
import { SplitControl } from './split-control.js';

/**
 * The second thread of the parallel `bantop regex` (regex-parallel.ts): its
 * start, its replies, and its early start from the entry. This module is
 * loaded before the rest of the CLI, so it imports nothing of weight.
 */

/** Below this a second thread costs more (its start-up, ~0.1 s) than it saves. */
export const DEFAULT_MIN_BYTES = 32 * 1024 * 1024;

export function parallelMinBytes(): number {
  return Number(process.env['BANTOP_PARALLEL_MIN_BYTES'] ?? DEFAULT_MIN_BYTES);
}

type Done = Extract<WorkerReply, { kind: 'done' }>;

export interface RegexThread {
  readonly worker: Worker;
  readonly ctl: SplitControl;
  /** Started by the entry: the time its guess of the task took as now, which the scan then uses too. */
  readonly now: number | null;
  /**
   * Hands the worker its task, before the chunks are cut: it then builds its
   * filter and says it is ready (ctl); started early, it has built the filter it
   * guessed already, and keeps it when the task is the same.
   */
  start(task: WorkerTask): void;
  /** Hands the worker this thread's translations of the filter's regexes, after the task (see WorkerRequest). */
  translations(list: Array<[string, TranslatedRegex]>): void;
  /** The fingerprints of chunk k's first lines, read with a fresh filter. */
  prints(k: number): Promise<string[]>;
  readonly done: Promise<Done>;
  /** The results of the chunks a worker's `done` did not hold. */
  rest(): Promise<ChunkResult[]>;
}

/**
 * A worker that boots now and waits for its task; with `early`, it finds and
 * builds its filter from the command line meanwhile (regex-worker.ts).
 */
export function spawnRegexThread(early: EarlyGuess | null = null): RegexThread {
  // Two busy threads on two cores leave V8's background compiler no core of its own: code being warmed up
  // waits in the slow tiers until the compiler thread is scheduled, and that thread then takes a reading
  // thread's core. Compiling on the thread that needs the code made `bantop regex` 4-5% faster (measured
  // on 1,000,000 sshd lines, interleaved runs). V8 reads the flag when an isolate is made, so it holds for
  // the worker only: this thread keeps its background compiler (the flag given to node for both threads
  // changed nothing measurable: -12 ms median, +1 +- 29 ms mean over 20 interleaved pairs). Changing this
  // flag does not cost the worker Node's code cache (util/regex-budget.ts): measured, it boots as fast.
  setFlagsFromString('--no-concurrent-recompilation');
  const ctl = new SplitControl();
  // A small young generation keeps the worker's heap (and the command's peak memory) small: measured,
  // 8 MB took peak RSS from 160 to 126 MB without slowing the worker.
  const worker = new Worker(workerUrl(), { workerData: { ctl: ctl.buffer, early }, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
  // Listening from the start: a worker that fails before anyone waits on it must still settle every promise.
  const printed = new Map<number, Deferred<string[]>>();
  let failure: unknown = null;
  const slot = (k: number) => {
    let d = printed.get(k);
    if (d === undefined) {
      d = deferred<string[]>();
      if (failure !== null) d.reject(failure);
      printed.set(k, d);
    }
    return d;
  };
  const done = deferred<Done>();
  const rest = deferred<ChunkResult[]>();
  worker.on('message', (m: WorkerReply) => {
    if (m.kind === 'prints') slot(m.chunk).resolve(m.prints);
    else if (m.kind === 'done') done.resolve(m);
    else rest.resolve(m.chunks);
  });
  const stop = (e: unknown) => {
    failure ??= e;
    for (const d of printed.values()) d.reject(e);
    done.reject(e);
    rest.reject(e);
  };
  worker.on('error', stop);
  worker.on('exit', (code) => stop(new Error(`regex worker exited with ${code}`)));
  let asked = false;
  const askRest = () => {
    if (!asked) worker.postMessage({ kind: 'rest' } satisfies WorkerRequest);
    asked = true;
    return rest.promise;
  };
  return { worker, ctl, now: early?.now ?? null, prints: (k) => slot(k).promise, done: done.promise, rest: askRest, start: (task) => worker.postMessage(task),
    translations: (list) => worker.postMessage({ kind: 'translations', list } satisfies WorkerRequest) };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  // It may never be awaited; an unhandled rejection must not end the process.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

let early: { path: string; thread: RegexThread } | undefined;

/**
 * Called by the entry with the raw command line: for `bantop regex` on a file
 * large enough for two threads, the worker starts booting at once, and finds
 * its filter from the same arguments while the CLI loads. Anything unexpected
 * is left to the CLI, which checks the arguments properly (with zod) and
 * posts the task it settled on; the worker reads with that one.
 */
export function prestartRegexWorker(argv: string[]): void {
  try {
    const args = parseArgv(argv, GLOBAL_OPTIONS);
    const [command, log, filter, ignoreregex] = args.positionals;
    if (command !== 'regex' || log === undefined || filter === undefined || args.options['help'] || args.options['version']) return;
    const st = statSync(log, { throwIfNoEntry: false });
    if (!st?.isFile() || st.size < parallelMinBytes() || availableParallelism() < 2) return;
    const path = resolve(log);
    const value = (k: string) => (typeof args.options[k] === 'string' ? args.options[k] : undefined);
    const thread = spawnRegexThread({ configDir: configDirOf(args.options), filter, path, now: Date.now(), json: args.options['json'] === true,
      encoding: value('encoding'), overrides: { timezone: value('timezone'), datepattern: value('datepattern'), maxlines: value('maxlines'), ignoreregex } });
    // Until it is taken it must not keep the process alive (a bad filter ends the command first).
    thread.worker.unref();
    early = { path, thread };
    // V8's regex flag, set once this thread builds its filter, would make the booting worker compile Node's
    // own modules without their code cache (util/regex-budget.ts): the flag waits for the boot (27-50 ms from the spawn, measured).
    beforeRegexBudget(() => {
      thread.ctl.awaitBoot(BOOT_WAIT_MS);
      // A young-generation collection of a reading thread keeps almost nothing (a line's strings and matches
      // die with it), yet V8 shares each out among helper threads, which can only take a core from the other
      // reading thread. Each thread now collects on its own: 15-21 ms less a run on 1,000,000 sshd lines (medians
      // of two series of 40 interleaved pairs, bench/pair.mjs). V8 reads the flag at every collection; set with
      // the regex flag, after the boot, for the same reason (set before it, the gain was 11 ms).
      setFlagsFromString('--no-parallel-scavenge');
    });
  } catch {
    // Bad arguments: the CLI reports them.
  }
}

/** The worker started early for `path`, if there is one; the caller owns it from here. */
export function takeEarlyRegexThread(path: string): RegexThread | undefined {
  const e = early;
  early = undefined;
  if (e === undefined) return undefined;
  if (e.path !== resolve(path)) {
    discardRegexThread(e.thread);
    return undefined;
  }
  e.thread.worker.ref();
  return e.thread;
}

/** Ends a worker that turned out not to be needed; this thread no longer waits for it to boot. */
export function discardRegexThread(thread: RegexThread): void {
  beforeRegexBudget(null);
  void thread.worker.terminate();
}

/** At most this long the first thread waits for the early worker's boot before it builds its filter (a worker that never boots must not hold it up). */
const BOOT_WAIT_MS = 250;

/**
 * The compiled worker, bundled as one CommonJS file (scripts/bundle.mjs):
 * tests run the CLI's modules from src/ through vitest, the worker always from dist/.
 */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/cli/regex-worker.cjs', here) : new URL('./regex-worker.cjs', here);
}
