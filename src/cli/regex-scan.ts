import { isoLocal } from '../filter/dates.js';
import { Filter, type Failure, type FilterSpec, type FilterStats } from '../filter/filter.js';
import { detach } from '../util/detach.js';

export interface RegexMatch {
  line: number;
  host: string;
  ip: string | null;
  time: string | null;
  [field: string]: unknown;
}

/** A failure as `bantop regex --json` reports it. */
export function matchOf(line: number, f: Failure): RegexMatch {
  return { line, host: f.host, ip: f.ip, time: f.dated ? isoLocal(f.time) : null, ...f.fields };
}

/**
 * One filter instance fed lines in order, counting failures per host. The
 * host counts are boxed: one Map lookup per failure instead of a get and a set.
 */
export class RegexScanner {
  readonly filter: Filter;
  readonly counts = new Map<string, { n: number }>();
  lines = 0;

  constructor(
    spec: FilterSpec,
    private readonly now: number,
    private readonly onFailure?: (line: number, f: Failure) => void,
  ) {
    this.filter = new Filter(spec);
  }

  line(text: string): void {
    const lineNo = ++this.lines;
    const v = this.filter.processLine(text, this.now);
    if (v.kind !== 'failure') return;
    const f = v.failure;
    const c = this.counts.get(f.host);
    if (c === undefined) this.counts.set(detach(f.host), { n: 1 });
    else c.n++;
    if (this.onFailure) this.onFailure(lineNo, f);
  }

  get stats(): FilterStats {
    return this.filter.stats;
  }
}

export interface RegexSummary {
  lines: number;
  matched: number;
  ignored: number;
  missed: number;
  /** Failures per host, for the readable summary. */
  hosts: Map<string, number>;
}

export function summaryOf(stats: FilterStats, counts: Map<string, { n: number }>): RegexSummary {
  const hosts = new Map<string, number>();
  for (const [h, c] of counts) hosts.set(h, c.n);
  return { lines: stats.lines, matched: stats.matched, ignored: stats.ignored, missed: stats.missed, hosts };
}
