import type { TicketTags } from './action-tags.js';
import type { PortSpec, Protocol } from './ports.js';

/** What every firewall change reports. */
export interface FirewallResult {
  ok: boolean;
  exitCode: number;
  stderr: string;
}

export const OK: FirewallResult = { ok: true, exitCode: 0, stderr: '' };

/** The key of the permanent list's target; `@` cannot start a jail name. */
export const PERMANENT = '@permanent';

/** One place bans land: a jail's set/chain (with its ports) or the permanent list (all ports). */
export interface Target {
  key: string;
  ports: PortSpec;
  protocol: Protocol;
  /**
   * Where traffic meets the target's rules: filter-table chains for iptables
   * and ipset (fail2ban's `chain`: INPUT, FORWARD, DOCKER-USER …), hooks for
   * nftables (`chain_hook`: input, forward). Absent: INPUT, or input.
   */
  hooks?: string[];
}

/** Every hook `targets` use, `input` (the backend's name for it) first: where a backend puts its rules. */
export function hooksIn(targets: readonly Target[], input: string): string[] {
  return [input, ...new Set(targets.flatMap((t) => t.hooks ?? []).filter((h) => h !== input))];
}

/** What a command action's tags need about the ban behind a change. */
export interface BanInfo {
  jail: string;
  failures: number;
  /** Epoch ms. */
  time: number;
  /** Seconds; -1 permanent. */
  bantime: number;
  /** This ban's number for the address, 1 the first time (fail2ban's `<bancount>`). */
  bancount?: number;
  /** The log lines behind the ban, oldest first (`<matches>`). */
  matches?: readonly string[];
  /** Restored from the store at start, not decided now (`<restored>`, `norestored`). */
  restored?: boolean;
  /** What the filter captured on the failure behind the ban (`<F-USER>` is `user`). */
  fields?: Readonly<Record<string, string>>;
  /** The address's bans in the store, merged (`<ipmatches>` …: TicketTags.merged). */
  merged?: TicketTags['merged'];
}

export interface Change {
  op: 'add' | 'del';
  target: string;
  /** Canonical address or CIDR. */
  ip: string;
  info?: BanInfo;
}

/** Elements present in the firewall per target key. */
export type FirewallState = Map<string, Set<string>>;

/**
 * A firewall that bantop drives. Implementations own their objects (a table,
 * sets, chains, tagged lines) and never touch anything else.
 */
export interface Backend {
  readonly name: string;
  /** Create or repair the structure for these targets, keeping elements; drop targets no longer listed. */
  setup(targets: Target[]): Promise<FirewallResult>;
  apply(changes: Change[]): Promise<FirewallResult>;
  /** What is in the firewall now; null when the backend cannot tell (command actions). */
  read(): Promise<FirewallState | null>;
  /** A cheap check that the structure is still in place (a flushed ruleset is not). */
  healthy(): Promise<boolean>;
  /** Remove everything this backend created. */
  teardown(): Promise<FirewallResult>;
  close(): Promise<void>;
}

export function mergeResults(rs: FirewallResult[]): FirewallResult {
  const bad = rs.filter((r) => !r.ok);
  if (bad.length === 0) return OK;
  return { ok: false, exitCode: bad[0]!.exitCode, stderr: bad.map((r) => r.stderr.trim()).filter(Boolean).join('\n') };
}
