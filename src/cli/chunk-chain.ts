import { emptyStats, type FilterStats } from '../filter/filter.js';
import { HostCounter, type HostCounts } from './host-counter.js';
import { checkpointIndex, type ScanStats } from './regex-scan.js';
import type { ChunkResult } from './regex-worker.js';

/**
 * What a chunk's filter read from line `line` of its chunk on (its own lines
 * before that were read by whoever read the chunk before), added to `counts`
 * and `stats`.
 */
export function addChunkFrom(counts: HostCounter, stats: ScanStats, r: ChunkResult, line: number): void {
  const at = checkpointIndex(line);
  addStats(stats, r.totals, r.snaps[at]!);
  counts.merge(r.counts);
  for (let i = at + 1; i < r.segments.length; i++) counts.merge(r.segments[i]!);
}

const STAT_KEYS = Object.keys(emptyStats()) as Array<keyof FilterStats>;

/** Adds `plus` (less `minus`) to `into`, field by field and hit by hit. */
export function addStats(into: ScanStats, plus: ScanStats, minus?: ScanStats): void {
  for (const key of STAT_KEYS) into[key] += plus[key] - (minus?.[key] ?? 0);
  for (let i = 0; i < plus.hits.length; i++) into.hits[i] = (into.hits[i] ?? 0) + plus.hits[i]! - (minus?.hits[i] ?? 0);
}

/** Nothing counted yet (the hits grow to the filter's regexes as they are added to). */
export function emptyScanStats(): ScanStats {
  return { ...emptyStats(), hits: [] };
}

/** The worker's chain of chunks, summed (see ChunkChain). */
export interface ChainTotals {
  /** The chunk whose filter's results the sums follow. */
  after: number;
  counts: HostCounts;
  stats: ScanStats;
}

/**
 * The worker's chunks are stitched in a chain: chunk k's filter reads on into
 * chunk k+1 until its state meets k+1's fresh filter, from where k+1's
 * results stand, and so on down the line. The worker knows every link but the
 * first (where the first thread's state meets the worker's first chunk), so
 * it sums the rest as it goes, in code that is warm and on a thread that runs
 * beside the first one. Summed by the first thread at the end, the chunks
 * took 20 ms of a one-second `bantop regex`, every one of them on the
 * critical path.
 *
 * The sums hold while each chunk's filter met the chunk right after it. A
 * filter that read on past a whole chunk without meeting (a chunk shorter
 * than a checkpoint, or a state that lingers) ends the sums; the first
 * thread then walks the chunks one by one.
 */
export class ChunkChain {
  private readonly counts = new HostCounter(1 << 16);
  private stats = emptyScanStats();
  private last: ChunkResult | null = null;
  private broken = false;

  /** `r`: the chunk read just now, the one before the chunk read before it. */
  add(r: ChunkResult): void {
    const next = this.last;
    this.last = r;
    if (this.broken) return;
    if (r.meet === null) {
      // It read to the end of the file: nothing after its own results counts.
      this.counts.clear();
      this.stats = emptyScanStats();
    } else if (next !== null && r.meet.chunk === next.chunk) {
      addChunkFrom(this.counts, this.stats, next, r.meet.line);
    } else {
      this.broken = true;
    }
  }

  /** The sums of everything after the last chunk's own results, or null when the chain broke. Once: the counts are handed over. */
  totals(): ChainTotals | null {
    if (this.broken || this.last === null) return null;
    return { after: this.last.chunk, counts: this.counts.handOver(), stats: { ...this.stats, hits: this.stats.hits.slice() } };
  }
}
