/** What the core decides, as typed events. The daemon, store, firewall and UI all consume these. */
export type BanSource = 'filter' | 'manual' | 'escalation' | 'import' | 'fleet';

export interface FailureEvent {
  type: 'failure';
  jail: string;
  ip: string;
  host: string;
  /** Epoch ms of the failure (the log line's time). */
  time: number;
  /** Failures of this address in the jail's findtime window, this one included. */
  count: number;
  maxretry: number;
  fields: Record<string, string>;
  /** The part of the line the failregex matched, when the failure came from a log line. */
  match?: string | undefined;
}

export interface BanEvent {
  type: 'ban';
  jail: string;
  ip: string;
  time: number;
  /** Seconds; -1 is permanent. */
  bantime: number;
  /** Epoch ms, null for permanent. */
  expiresAt: number | null;
  failures: number;
  /** How many times this address was banned before (in this jail, or all jails with overalljails). */
  banCount: number;
  source: BanSource;
  reason?: string | undefined;
  /** A filter's ban: the log lines of the failures that earned it, oldest first (none where the window had shed them). */
  lines?: string[] | undefined;
  /** A filter's ban: what the filter captured on the failure that made it (`user` …), for command actions' `<F-USER>`. */
  fields?: Record<string, string> | undefined;
}

export interface UnbanEvent {
  type: 'unban';
  jail: string;
  ip: string;
  time: number;
  reason: 'expired' | 'manual';
  /** The rule the lifted ban was for (a filter's `<F-RULE>`), for the ban log. */
  rule?: string | undefined;
}

/** `undated`: read back at start with no date that could be read, so its age is unknown (as fail2ban, skipped). */
export type IgnoreReason = 'ignoreip' | 'ignoreself' | 'ignorecommand' | 'too-old' | 'undated' | 'already-banned' | 'unban-watermark' | 'before-last-ban' | 'whitelist' | 'protected';

export interface IgnoredEvent {
  type: 'ignored';
  jail: string;
  ip: string;
  time: number;
  reason: IgnoreReason;
  /** As in FailureEvent: the part of the line the failregex matched. */
  match?: string | undefined;
}

export type EngineEvent = FailureEvent | BanEvent | UnbanEvent | IgnoredEvent;
