import type { Clock } from '../util/clock.js';
import { formatDuration } from '../util/duration.js';
import { isReportable } from './private.js';

/** The `report` action's arguments (jail.conf: `report[key=…, categories="18,22"]`). */
export interface ReportSettings {
  /** AbuseIPDB-compatible endpoint: POST form fields ip, categories, comment, header `Key`. */
  url: string;
  key: string;
  categories: string;
  /** Template: <ip>, <name> (the jail), <failures>, <bantime>, <rule>. */
  comment: string;
  /** Reports per minute, at most. */
  rate: number;
  /** Attempts per report before it is dropped. */
  attempts: number;
}

export const DEFAULT_REPORT: ReportSettings = {
  url: 'https://api.abuseipdb.com/api/v2/report',
  key: '',
  categories: '18',
  comment: 'bantop: <name> banned <ip> after <failures> failures',
  rate: 30,
  attempts: 5,
};

export interface ReportedBan {
  ip: string;
  jail: string;
  failures: number;
  bantime: number;
  rule?: string | undefined;
}

interface Job {
  ban: ReportedBan;
  settings: ReportSettings;
  attempt: number;
  notBefore: number;
}

export interface ReporterStats {
  sent: number;
  failed: number;
  skipped: number;
  dropped: number;
  queued: number;
}

const MAX_QUEUE = 10_000;

/**
 * Posts bans to an abuse database in the background. A ban never waits for
 * it: reports are queued, sent at most `rate` a minute, retried with
 * exponential backoff on network errors, 429 and 5xx, and dropped (counted) on
 * other refusals or when the queue overflows. Private, network and
 * whitelisted targets are never sent.
 */
export class AbuseReporter {
  private queue: Job[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly sentAt: number[] = [];
  readonly stats: ReporterStats = { sent: 0, failed: 0, skipped: 0, dropped: 0, queued: 0 };
  private stopped = false;

  constructor(private readonly o: {
    clock: Clock;
    isWhitelisted: (ip: string) => boolean;
    log: (level: 'INFO' | 'WARNING' | 'ERROR', msg: string) => void;
    fetch?: typeof fetch;
    /** Base backoff, ms (doubles per attempt). */
    backoffMs?: number;
  }) {}

  report(ban: ReportedBan, settings: ReportSettings): void {
    if (this.stopped) return;
    if (!isReportable(ban.ip) || this.o.isWhitelisted(ban.ip)) {
      this.stats.skipped++;
      return;
    }
    if (this.queue.length >= MAX_QUEUE) {
      this.queue.shift();
      this.stats.dropped++;
    }
    this.queue.push({ ban, settings, attempt: 0, notBefore: 0 });
    this.stats.queued = this.queue.length;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped || this.busy) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pump(), ms);
    this.timer.unref();
  }

  private async pump(): Promise<void> {
    this.busy = true;
    try {
      while (!this.stopped && this.queue.length > 0) {
        const now = this.o.clock.now();
        const job = this.queue[0]!;
        while (this.sentAt.length && this.sentAt[0]! <= now - 60_000) this.sentAt.shift();
        const wait = Math.max(
          job.notBefore - now,
          this.sentAt.length >= job.settings.rate ? this.sentAt[0]! + 60_000 - now : 0,
        );
        if (wait > 0) {
          this.busy = false;
          this.schedule(wait);
          return;
        }
        this.queue.shift();
        this.sentAt.push(now);
        await this.send(job);
        this.stats.queued = this.queue.length;
      }
    } finally {
      this.busy = false;
    }
  }

  private async send(job: Job): Promise<void> {
    const { ban, settings } = job;
    if (this.o.isWhitelisted(ban.ip)) {
      this.stats.skipped++;
      return;
    }
    const comment = settings.comment
      .replaceAll('<ip>', ban.ip).replaceAll('<name>', ban.jail).replaceAll('<failures>', String(ban.failures))
      .replaceAll('<bantime>', formatDuration(ban.bantime)).replaceAll('<rule>', ban.rule ?? ban.jail);
    let retry = false;
    let why = '';
    try {
      const res = await (this.o.fetch ?? fetch)(settings.url, {
        method: 'POST',
        headers: { Key: settings.key, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ip: ban.ip, categories: settings.categories, comment }).toString(),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.stats.sent++;
        return;
      }
      why = `HTTP ${res.status}`;
      retry = res.status === 429 || res.status >= 500;
    } catch (e) {
      why = (e as Error).message;
      retry = true;
    }
    job.attempt++;
    if (retry && job.attempt < settings.attempts) {
      job.notBefore = this.o.clock.now() + (this.o.backoffMs ?? 1000) * 2 ** (job.attempt - 1);
      this.queue.push(job);
      return;
    }
    this.stats.failed++;
    this.o.log('WARNING', `report of ${ban.ip} to ${settings.url} failed: ${why}${retry ? ` after ${job.attempt} attempts` : ''}`);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.queue = [];
  }
}
