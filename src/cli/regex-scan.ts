import { isoLocal } from '../filter/dates.js';
import { Filter, type Failure, type FilterSpec, type FilterStats } from '../filter/filter.js';
import { HostCounter } from './host-counter.js';

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

/** One filter instance fed lines in order, counting failures per host. */
export class RegexScanner {
  readonly filter: Filter;
  readonly counts = new HostCounter();
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
    this.counts.add(v.failure.host);
    if (this.onFailure) this.onFailure(lineNo, v.failure);
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
  hosts: HostCounter;
}

export function summaryOf(stats: FilterStats, hosts: HostCounter): RegexSummary {
  return { lines: stats.lines, matched: stats.matched, ignored: stats.ignored, missed: stats.missed, hosts };
}
