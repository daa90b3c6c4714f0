import type { JailConfig } from '../config/model.js';
import type { Clock } from '../util/clock.js';
import { FileTailer } from './file-tail.js';
import { JournalSource } from './journal.js';
import { journalSelectArgs } from './journal-entry.js';
import { lineDecoder } from './log-encoding.js';
import type { LineSink, LogSource, PositionStore } from './types.js';

/** The right source for each jail's backend: the journal for `systemd`, files otherwise. */
export function sourcesForJails(jails: JailConfig[], deps: { positions: PositionStore; sink: LineSink; clock: Clock; note?: (msg: string) => void }): LogSource[] {
  const { note, ...common } = deps;
  return jails.map((j) => {
    if (j.backend === 'systemd') {
      return new JournalSource({ jail: j.name, journalmatch: j.journalmatch, select: journalSelectArgs(j.backendArgs), ...common });
    }
    return new FileTailer({ jail: j.name, paths: j.logpath, start: j.logstart, ...common, note, decode: lineDecoder(j.logencoding) ?? null });
  });
}
