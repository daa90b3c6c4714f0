import { z } from 'zod';
import type { FilterSpec } from '../filter/filter.js';
import type { EscalationRule } from '../engine/escalation.js';
import type { ReportSettings } from '../report/reporter.js';
import type { FleetSettings } from '../fleet/settings.js';

export const FIREWALLS = ['nftables', 'ipset', 'iptables', 'hostsdeny', 'dry-run'] as const;
export type FirewallKind = (typeof FIREWALLS)[number];

/** Daemon settings: bantop.conf's [Definition], or fail2ban.conf's for an existing /etc/fail2ban. */
export const SettingsSchema = z.object({
  loglevel: z.string().min(1),
  logtarget: z.string().min(1),
  socket: z.string().min(1),
  pidfile: z.string().min(1),
  dbfile: z.string().min(1),
  /** Seconds. */
  dbpurgeage: z.number().positive(),
  /** The log lines kept per ban for `<ipmatches>` / `<ipjailmatches>`, as fail2ban.conf's dbmaxmatches. */
  dbmaxmatches: z.number().int().min(0),
  firewall: z.enum(FIREWALLS),
  banlog: z.string().min(1),
  /** plain: `[2023-06-12] [rule] [ip] Host banned …`; fail2ban: fail2ban.log lines (for recidive filters). */
  banlogformat: z.enum(['plain', 'fail2ban']),
  blocklist: z.string().min(1),
  /** The file the hostsdeny backend writes. */
  hostsdeny: z.string().min(1),
});
/** [fleet] is read on its own (a section of its own, not [Definition]); null: this host is on its own. */
export type Settings = z.infer<typeof SettingsSchema> & { fleet: FleetSettings | null };

export const DEFAULT_SETTINGS: Record<keyof z.infer<typeof SettingsSchema>, string> = {
  loglevel: 'INFO',
  logtarget: 'STDERR',
  socket: '/run/bantop/bantop.sock',
  pidfile: '/run/bantop/bantop.pid',
  dbfile: '/var/lib/bantop/bantop.sqlite3',
  dbpurgeage: '1d',
  dbmaxmatches: '10',
  firewall: 'nftables',
  banlog: '/var/log/bantop-bans.log',
  banlogformat: 'plain',
  blocklist: '/var/lib/bantop/blocklist',
  hostsdeny: '/etc/hosts.deny',
};

export const BantimeIncrementSchema = z.object({
  enabled: z.boolean(),
  factor: z.number().positive(),
  multipliers: z.array(z.number().positive()),
  /** fail2ban's `bantime.formula`, a Python expression (config/py-expression.ts); absent or empty: the default. */
  formula: z.string().optional(),
  /** Seconds; 0 means no cap. */
  maxtime: z.number().min(0),
  rndtime: z.number().min(0),
  overalljails: z.boolean(),
});
export type BantimeIncrement = z.infer<typeof BantimeIncrementSchema>;

export const EscalationRuleSchema = z.object({
  bans: z.number().int().min(2),
  window: z.number().positive(),
  bantime: z.number().refine((v) => v === -1 || v > 0),
});

export const ActionRefSchema = z.object({
  name: z.string().min(1),
  args: z.record(z.string(), z.string()),
  /** A name bantop enforces natively, run from its action.d file instead: its options ask for what bantop's table does not do. */
  command: z.boolean().optional(),
});
export type ActionRef = z.infer<typeof ActionRefSchema>;

export const JailSchema = z.object({
  name: z.string().regex(/^[\w.\-]+$/, 'jail names use letters, digits, "-", "_" and "." only'),
  enabled: z.boolean(),
  filterName: z.string(),
  filterArgs: z.record(z.string(), z.string()),
  logpath: z.array(z.string()),
  /**
   * Where a log path written `PATH head` or `PATH tail` starts at start-up,
   * by path as in `logpath` (fail2ban's option): tail from its end even with a
   * saved position, head from its start when there is none. Unset: the end
   * the first time, then the saved position.
   */
  logstart: z.record(z.string(), z.enum(['head', 'tail'])),
  backend: z.enum(['auto', 'polling', 'pyinotify', 'gamin', 'systemd']),
  backendArgs: z.record(z.string(), z.string()),
  journalmatch: z.array(z.string()),
  maxretry: z.number().int().min(1),
  /** Seconds. */
  findtime: z.number().positive(),
  /** Seconds; -1 is permanent. */
  bantime: z.number().refine((v) => v === -1 || v > 0, 'bantime must be positive or -1'),
  bantimeIncrement: BantimeIncrementSchema,
  /** Repeat offenders across all jails, checked when this jail bans. */
  escalation: z.array(EscalationRuleSchema),
  ignoreip: z.array(z.string()),
  ignoreself: z.boolean(),
  /** Asked before a failure counts (exit 0: ignore the address); '' for none. */
  ignorecommand: z.string(),
  ignorecache: z.object({ maxTimeMs: z.number().min(0), maxCount: z.number().int().min(0), key: z.string().optional() }).nullable(),
  /** How many of a ban's log lines its command actions get as `<matches>` (fail2ban's default: maxretry). */
  maxmatches: z.number().int().min(0),
  /** How the jail's log files are decoded, as fail2ban names it (`auto`: the locale's charset). */
  logencoding: z.string(),
  usedns: z.enum(['yes', 'no', 'warn', 'raw']),
  port: z.string(),
  protocol: z.string(),
  banaction: z.string(),
  actions: z.array(ActionRefSchema),
});

export type JailConfig = z.infer<typeof JailSchema> & {
  filter: FilterSpec;
  filterFile: string;
  /** The `report` action's settings, when the jail lists it. */
  report: ReportSettings | null;
};

export interface LoadedConfig {
  dir: string;
  settings: Settings;
  /** Enabled jails only, in config order. */
  jails: JailConfig[];
  /** [DEFAULT]'s escalation rules: for manual bans and jails without their own. */
  escalation: EscalationRule[];
  /** Things that do not stop loading but an operator should hear about; with missingLogs, see configWarnings(). */
  warnings: string[];
  /** Log files (not globs) that did not exist at load: watched for, and warned about while they are missing. */
  missingLogs: MissingLog[];
}

export interface MissingLog {
  jail: string;
  path: string;
  /** A syslog file (auth.log …) of a filter with a journalmatch: backend = systemd would read its lines from the journal. */
  journal: boolean;
}
