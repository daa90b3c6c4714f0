import type { ActionRef, FirewallKind, JailConfig, LoadedConfig } from '../config/model.js';
import { actionSuffix, resolveAction } from '../config/action-def.js';
import type { Runner } from '../proc/run.js';
import { ConfigError } from '../util/errors.js';
import { CommandBackend, type CommandBackendOptions } from './command.js';
import { DryRunBackend } from './dry-run.js';
import type { EnforcementPlan, JailRoute } from './enforcer.js';
import { hookOf } from './hooks.js';
import { HostsDenyBackend } from './hostsdeny.js';
import { IpsetBackend } from './ipset.js';
import { IptablesBackend } from './iptables.js';
import { NftablesBackend } from './nftables.js';
import { parsePorts, parseProtocol, PortError, type PortSpec, type Protocol } from './ports.js';
import { PERMANENT, type Backend, type Target } from './types.js';

type NativeKind = Exclude<FirewallKind, never>;

/** fail2ban action names and the native backend that does the same, with or without ports. */
const NATIVE: Record<string, { kind: NativeKind | 'default'; allports: boolean }> = {
  'nftables-multiport': { kind: 'nftables', allports: false },
  'nftables': { kind: 'nftables', allports: false },
  'nftables-allports': { kind: 'nftables', allports: true },
  'iptables-multiport': { kind: 'iptables', allports: false },
  'iptables': { kind: 'iptables', allports: false },
  'iptables-allports': { kind: 'iptables', allports: true },
  'iptables-ipset-proto6': { kind: 'ipset', allports: false },
  'iptables-ipset': { kind: 'ipset', allports: false },
  'iptables-ipset-proto6-allports': { kind: 'ipset', allports: true },
  'iptables-ipset-allports': { kind: 'ipset', allports: true },
  'hostsdeny': { kind: 'hostsdeny', allports: true },
  'dry-run': { kind: 'dry-run', allports: false },
  'bantop': { kind: 'default', allports: false },
};

export interface PlanOptions {
  runner: Runner;
  /** Jails without a config section (the built-in manual jail, jails of restored bans): default backend, all ports. */
  passiveJails: string[];
  /** Called with each line the dry-run backend "does". */
  onDryRun?: (line: string) => void;
}

/** What each backend that hooks calls the host's input and its routed path (Target.hooks). */
const PATHS: Partial<Record<string, { input: string; forward: string }>> = {
  nftables: { input: 'input', forward: 'forward' },
  iptables: { input: 'INPUT', forward: 'FORWARD' },
  ipset: { input: 'INPUT', forward: 'FORWARD' },
};

const ALL_PORTS: Target = { key: PERMANENT, ports: { all: true }, protocol: 'all' };

/**
 * Decide which backend enforces each jail: `firewall` from bantop.conf by
 * default, a native backend for a fail2ban action that has one, and the
 * action.d file itself for any other action. `firewall = dry-run` makes every
 * route a dry run, custom actions included.
 */
export function buildPlan(cfg: LoadedConfig, opts: PlanOptions): EnforcementPlan {
  const natives = new Map<NativeKind, Backend>();
  const backends: Backend[] = [];
  const dry = cfg.settings.firewall === 'dry-run';
  const native = (kind: NativeKind): Backend => {
    const k: NativeKind = dry ? 'dry-run' : kind;
    let b = natives.get(k);
    if (!b) {
      b = k === 'nftables' ? new NftablesBackend(opts.runner)
        : k === 'ipset' ? new IpsetBackend(opts.runner)
          : k === 'iptables' ? new IptablesBackend(opts.runner)
            : k === 'hostsdeny' ? new HostsDenyBackend(cfg.settings.hostsdeny)
              : new DryRunBackend(opts.onDryRun);
      natives.set(k, b);
      backends.push(b);
    }
    return b;
  };
  const routes = new Map<string, JailRoute[]>();
  const permanentTargets = new Map<Backend, Target>();
  const addRoute = (jail: string, r: JailRoute) => {
    routes.set(jail, [...(routes.get(jail) ?? []), r]);
    if (r.sharedPermanent) permanentTargets.set(r.backend, ALL_PORTS);
  };
  // The default backend always exists: manual bans and the permanent list live there.
  const defaultBackend = native(cfg.settings.firewall);
  permanentTargets.set(defaultBackend, ALL_PORTS);

  for (const jail of cfg.jails) {
    // `report` posts to an abuse database; it is not a firewall.
    const firewalls = jail.actions.filter((a) => a.name !== 'report');
    const refs: ActionRef[] = firewalls.length ? firewalls : [{ name: 'bantop', args: {} }];
    for (const ref of refs) {
      const n = ref.command ? undefined : NATIVE[ref.name];
      if (n) {
        const isAll = n.allports || ref.args['type'] === 'allports';
        // fail2ban's chain / chain_hook (hooks.ts), checked when the config loaded.
        const hook = dry ? null : hookOf(ref.name, ref.args);
        const target = { ...jailTarget(jail, ref, isAll), ...(hook === null ? {} : { hooks: [hook] }) };
        addRoute(jail.name, { backend: n.kind === 'default' ? defaultBackend : native(n.kind), target, sharedPermanent: true });
        continue;
      }
      if (dry) {
        addRoute(jail.name, { backend: native('dry-run'), target: jailTarget(jail, ref, false), sharedPermanent: true });
        continue;
      }
      const b = commandBackend(cfg, jail, ref, opts.runner);
      backends.push(b);
      addRoute(jail.name, { backend: b, target: { key: jail.name, ports: { all: true }, protocol: 'all' }, sharedPermanent: false });
    }
  }
  // The permanent list, and the manual jail's bans, stop an address wherever a jail's rules meet traffic on the
  // same backend: on a host whose jails guard containers (chain = DOCKER-USER), a permanent ban must reach them too.
  // A backend none of whose jails is hooked there (the default nftables, under Debian's iptables banactions) takes
  // the routed path at its own forward hook.
  const hooksOn = new Map<Backend, Set<string>>();
  for (const r of [...routes.values()].flat()) {
    if (!r.sharedPermanent || !r.target.hooks) continue;
    const hs = hooksOn.get(r.backend) ?? new Set<string>();
    for (const h of r.target.hooks) hs.add(h);
    hooksOn.set(r.backend, hs);
  }
  const everywhere = (b: Backend): Pick<Target, 'hooks'> => {
    const path = PATHS[b.name];
    const hs = hooksOn.get(b) ?? (hooksOn.size > 0 && path !== undefined ? new Set([path.forward]) : undefined);
    if (!hs || path === undefined) return {};
    return { hooks: [path.input, ...[...hs].filter((h) => h !== path.input).sort()] };
  };
  for (const name of opts.passiveJails) {
    if (routes.has(name)) continue;
    addRoute(name, { backend: defaultBackend, target: { key: name, ports: { all: true }, protocol: 'all', ...everywhere(defaultBackend) }, sharedPermanent: true });
  }
  for (const b of permanentTargets.keys()) permanentTargets.set(b, { ...ALL_PORTS, ...everywhere(b) });
  return { backends, routes, permanentTargets };
}

/** A jail's action run from its action.d file (fail2ban's command action). */
export function commandBackend(cfg: LoadedConfig, jail: JailConfig, ref: ActionRef, runner: Runner, o: CommandBackendOptions = {}): CommandBackend {
  const action = resolveAction(cfg.dir, ref.name, ref.args, { name: jail.name },
    { file: `${cfg.dir}/jail.conf`, key: `${jail.name}.action` },
    { logpath: jail.logpath.join('\n'), maxretry: String(jail.maxretry), backend: jail.backend, usedns: jail.usedns });
  return new CommandBackend(runner, action, jail.name, { bantime: jail.bantime, ...o });
}

/**
 * Which of a jail's firewall rules an action is: the jail's name, with
 * fail2ban's suffix for an action given another `name` (its chain is then
 * f2b-<name>): Debian's jail.conf bans asterisk, freeswitch, nsd … through
 * `iptables-multiport[name=asterisk-tcp, protocol=tcp]` and the same with
 * udp, two rules that must not be taken for one.
 */
export function actionKey(jail: string, ref: ActionRef): string {
  return jail + actionSuffix(jail, ref);
}

function jailTarget(jail: JailConfig, ref: ActionRef, allports: boolean): Target {
  const where = { file: `${jail.name} (jail)`, key: 'port' };
  let ports: PortSpec;
  let protocol: Protocol;
  try {
    ports = allports ? { all: true } : parsePorts(ref.args['port'] ?? jail.port);
    protocol = parseProtocol(ref.args['protocol'] ?? jail.protocol);
  } catch (e) {
    if (e instanceof PortError) throw new ConfigError(where, `jail "${jail.name}": ${e.message}`);
    throw e;
  }
  return { key: actionKey(jail.name, ref), ports, protocol };
}
