import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { ConfigStore } from './store.js';
import { fileSectionTags, substituteTags } from './tags.js';

export const ACTION_COMMANDS = ['actionstart', 'actionstop', 'actioncheck', 'actionban', 'actionunban', 'actionflush', 'actionrepair', 'actionreban'] as const;
export type ActionCommand = (typeof ACTION_COMMANDS)[number];

/** An address family as fail2ban's conditional options name it; '' for an action that has none. */
export type ActionFamily = '' | 'inet4' | 'inet6';

/**
 * A fail2ban action.d file with its static tags filled in, for each address
 * family: `[Init?family=inet6]` (iptables → ip6tables, ipv4_addr → ipv6_addr)
 * gives the inet6 commands other values. `<ip>` and the other per-ban tags
 * remain (firewall/action-tags.ts).
 */
export interface ResolvedAction {
  name: string;
  /** fail2ban's name for it in this jail: the file's name, with a suffix where its `name` is not the jail's. */
  actname: string;
  file: string;
  /** The commands of an action without conditional options, and those of actionstart … before a family is known. */
  commands: Partial<Record<ActionCommand, string>>;
  /** The commands for each family; both equal `commands` when the action has no conditional options. */
  byFamily: Record<'inet4' | 'inet6', Partial<Record<ActionCommand, string>>>;
  /**
   * The action has conditional options: as in fail2ban, a family's actionstart
   * runs at the first ban of that family, not when the jail starts
   * (`actionstart_on_demand` overrides).
   */
  conditional: boolean;
  startOnDemand: boolean;
  /** `norestored`: no actionban for bans restored at start (mail actions: no mail per restored ban). */
  norestored: boolean;
  /** `actionrepair_on_unban`: a failed unban may repair the action too. */
  repairOnUnban: boolean;
  /** Seconds a command may take (`timeout`, fail2ban's default 60). */
  timeout: number;
}

/** What fail2ban reads from an action's [Definition] itself, never from the jail. */
// actionprolong is read and never run: bantop grows a ban's time before actionban (fail2ban bans first, then prolongs).
const ACTION_OPTIONS = [...ACTION_COMMANDS, 'actionstart_on_demand', 'actionreload', 'actionrepair_on_unban', 'actionprolong', 'norestored'] as const;

/** Matches fail2ban's conditional keys and sections: `blocktype?family=inet6`, `[Init?family=inet6]`. */
const CONDITIONAL = /^([\w-]+)\?(family=inet[46])$/;

/**
 * Resolve `action.d/NAME.conf` for a jail as fail2ban does: the jail's
 * arguments override [Init], which overrides [Definition]; `name` is the
 * jail's name unless the jail gives another (the file's own `name = default`
 * never applies), and `<known/x>` is [Init]'s x before the jail's arguments.
 * An option no one sets stays a tag, as in fail2ban (Debian's jail.conf gives
 * every banaction its port, protocol and chain).
 * `jailOptions` are the jail's own options (logpath …), which fail2ban reads
 * [Definition] with as overrides: complain.conf's `<logpath>` is the jail's
 * log, not its [Definition]'s /dev/null.
 */
export function resolveAction(configDir: string, name: string, args: Record<string, string>, jail: { name: string },
  where: { file: string; line?: number | undefined; key: string }, jailOptions: Record<string, string> = {}): ResolvedAction {
  const dir = join(configDir, 'action.d');
  if (!existsSync(join(dir, `${name}.conf`)) && !existsSync(join(dir, `${name}.local`))) {
    throw new ConfigError(where, `action "${name}" not found in ${dir}`, 'check the action name');
  }
  const store = new ConfigStore();
  store.readFamily(dir, name);
  const file = join(dir, `${name}.conf`);
  const own = { name: args['name'] ?? jail.name, actname: args['actname'] ?? name + actionSuffix(jail.name, { args }) };
  const init = (key: string): string | undefined => {
    const e = store.ownEntry('Init', key);
    return e && store.interpolate('Init', e.value, e, key, 0);
  };
  const raw = (key: string): string | undefined => {
    if (key in args) return args[key];
    if (key === 'name' || key === 'actname') return own[key];
    if (key.startsWith('known/')) return init(key.slice(6)) ?? store.get('Definition', key.slice(6));
    const fromJail = (ACTION_OPTIONS as readonly string[]).includes(key) ? undefined : jailOptions[key];
    return init(key) ?? fromJail ?? store.get('Definition', key);
  };
  // Conditional options, from `key?family=…` keys and `[Init?family=…]` / `[Definition?family=…]` sections.
  const conditional = new Map<string, string>();
  for (const section of store.sectionNames()) {
    const m = /^(Init|Definition)\?(family=inet[46])$/.exec(section);
    for (const key of store.keys(section)) {
      const k = m ? `${key}?${m[2]}` : CONDITIONAL.test(key) && (section === 'Init' || section === 'Definition') ? key : null;
      if (k !== null && !(k in args)) conditional.set(k, store.get(section, key)!);
    }
  }
  for (const k of Object.keys(args)) if (CONDITIONAL.test(k)) conditional.set(k, args[k]!);
  const resolve = (family: ActionFamily) => {
    const lookup = (key: string): string | undefined => (family === '' ? undefined : conditional.get(`${key}?family=${family}`)) ?? raw(key);
    const out: Partial<Record<ActionCommand, string>> = {};
    for (const c of ACTION_COMMANDS) {
      const v = lookup(c);
      if (v === undefined || v.trim() === '') continue;
      const e = store.entry('Definition', c);
      // Not trimmed: fail2ban runs a command as its tags leave it (an empty last tag leaves a newline).
      out[c] = substituteTags(v, { own: lookup, other: fileSectionTags(store, lookup), where: { file: e?.file ?? file, line: e?.line } }, c);
    }
    return out;
  };
  const option = (key: string) => raw(key)?.trim().toLowerCase();
  const yes = (key: string) => ['1', 'true', 'yes', 'on'].includes(option(key) ?? '');
  const isConditional = conditional.size > 0;
  const timeout = Number(option('timeout') ?? 60);
  if (!(timeout > 0)) throw new ConfigError({ file, key: 'timeout' }, `action "${name}": timeout "${raw('timeout')}" is not a positive number of seconds`);
  const commands = resolve('');
  return {
    name, actname: own.actname, file, commands,
    byFamily: isConditional ? { inet4: resolve('inet4'), inet6: resolve('inet6') } : { inet4: commands, inet6: commands },
    conditional: isConditional,
    startOnDemand: option('actionstart_on_demand') === undefined ? isConditional : yes('actionstart_on_demand'),
    norestored: yes('norestored'),
    repairOnUnban: yes('actionrepair_on_unban'),
    timeout,
  };
}

/** fail2ban's suffix for an action whose `name` is not the jail's: `-tcp` for name=asterisk-tcp in [asterisk], `-dns` for name=dns. */
export function actionSuffix(jail: string, ref: { args: Record<string, string> }): string {
  const n = ref.args['name'];
  if (n === undefined || n === jail) return '';
  return n.startsWith(jail) ? n.slice(jail.length) : `-${n}`;
}
