import { lookup } from 'node:dns/promises';
import type { LoadedConfig } from '../config/model.js';
import { Engine } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import type { BanHistory } from '../engine/jail-core.js';
import { sourcesForJails } from '../source/sources.js';
import type { LogSource, PositionStore, SourceLine } from '../source/types.js';
import type { Clock } from '../util/clock.js';
import { hostAddresses } from '../util/host-addresses.js';
import { runIgnoreCommand } from './ignore-command.js';

export interface PipelineOptions {
  clock: Clock;
  positions: PositionStore;
  history?: BanHistory;
  /** Every line read, for the UI's live tail (called after the engine saw it). */
  onLine?: (l: SourceLine) => void;
  /** How often bans are expired, ms. */
  tickMs?: number;
  /** What the sources have to say (rotations), for the daemon's log. */
  note?: (msg: string) => void;
  /** A jail's log with a timing problem (Engine.line), for the daemon's log. */
  warn?: (msg: string) => void;
}

/**
 * Wires a loaded config together: one source per jail feeding one engine.
 * The daemon and the embedded TUI both run exactly this.
 */
export class Pipeline {
  readonly engine: Engine;
  private readonly sources: LogSource[];
  private timer: NodeJS.Timeout | undefined;

  constructor(config: LoadedConfig, private readonly o: PipelineOptions) {
    this.engine = new Engine(config.jails, {
      clock: o.clock,
      history: o.history,
      selfAddresses: hostAddresses(),
      resolveHost: async (name) => (await lookup(name, { all: true })).map((a) => a.address),
      askIgnoreCommand: (jail, command, ip, f) => runIgnoreCommand(command, ip, { ...f, now: o.clock.now() }, (m) => o.note?.(`[${jail}] ${m}`)),
      warn: o.warn,
    });
    this.sources = sourcesForJails(config.jails, {
      positions: o.positions,
      clock: o.clock,
      note: o.note,
      sink: (lines) => {
        for (const l of lines) {
          // The line first, then the events it causes: the TUI marks a line by the failure that follows it.
          o.onLine?.(l);
          this.engine.line(l.jail, l.line, l.time, { read: l.backlog === true ? 'back' : 'live', stamped: l.stamped === true });
        }
      },
    });
  }

  subscribe(fn: (e: EngineEvent) => void): () => void {
    return this.engine.subscribe(fn);
  }

  async start(): Promise<void> {
    await this.engine.refreshIgnoreNames(async (n) => (await lookup(n, { all: true })).map((a) => a.address)).catch(() => {});
    for (const s of this.sources) await s.start();
    this.timer = setInterval(() => this.engine.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.sources.map((s) => s.stop()));
  }
}
