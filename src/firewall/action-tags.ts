import type { ActionFamily } from '../config/action-def.js';
import type { MergedBans } from '../engine/merged-bans.js';
import { fieldGroupName } from '../filter/host-tags.js';
import { ipFamily, ipToBig } from '../util/ip.js';

/**
 * The per-ban tags of a fail2ban action command (`<ip>`, `<failures>`,
 * `<matches>` …), filled in when the command runs, the way fail2ban's server
 * fills them: once, not recursively (a value never becomes a tag), and a value
 * with a character the shell would read (a log line in `<matches>`) goes in as
 * a positional parameter behind a variable, never as text of the script.
 */

/** What a command's tags can say about one ban; absent for actionstart, actionstop … */
export interface TicketTags {
  ip: string;
  failures: number;
  /** Epoch ms. */
  time: number;
  /** Seconds; -1 permanent. */
  bantime: number;
  /** This ban's number for the address: 1 the first time. */
  bancount: number;
  matches: readonly string[];
  restored: boolean;
  /** The filter's captures (`<F-USER>` is `user`), where the caller has them. */
  data?: Readonly<Record<string, string>>;
  /**
   * The address's bans in the store merged (`overall`: every jail's, else
   * this jail's), for `<ipmatches>` and the like; asked only for a command
   * that uses them. Absent, or null when the store cannot say: this ban's own.
   */
  merged?: ((overall: boolean) => MergedBans | null) | undefined;
}

export interface HostNames {
  fq: string;
  short: string;
}

/** The shell command: the script and the values it reads as $0, $1 … */
export interface ShellCommand {
  script: string;
  args: string[];
}

const TAG = /<([^ <>]+)>/g;
/** Characters that make fail2ban hand a value over as a variable (its ESCAPE_CRE). */
const SHELL_SPECIAL = /[\\#&;`|*?~<>^()[\]{}$'"\n\r]/;

/** An address's family as fail2ban's conditional options name it. */
export function familyOf(ip: string): 'inet4' | 'inet6' {
  return ipFamily(ip) === 6 ? 'inet6' : 'inet4';
}

/**
 * Fill in `script`'s per-ban tags. `ticket` null: an operation (actionstart
 * …), which fail2ban fills from an empty ticket: no address, the time now.
 * Tags nobody knows stay as written, as in fail2ban; an `<F-…>` tag (a
 * filter's capture) the ticket lacks becomes empty, as fail2ban makes it: a
 * ban does not keep them, the ignorecommand's failure does.
 */
export function fillTicketTags(script: string, ticket: TicketTags | null, o: { family: ActionFamily; now: number; bantime: number; host: HostNames; ipHost?: string | null }): ShellCommand {
  if (!script.includes('<')) return { script, args: [] };
  const t = ticket ?? { ip: '', failures: 0, time: o.now, bantime: o.bantime, bancount: 0, matches: [], restored: false };
  const matches = t.matches.join('\n');
  // fail2ban reads these from its database, and only for a command that has them.
  const merged = (overall: boolean): MergedBans => ticket?.merged?.(overall) ?? { failures: t.failures, matches: t.matches };
  const all = /<ip(?:matches|failures)>/.test(script) ? merged(true) : null;
  const jail = /<ipjail(?:matches|failures)>/.test(script) ? merged(false) : null;
  const values: Record<string, string> = {
    ip: t.ip,
    family: ticket === null ? o.family : familyOf(t.ip),
    'ip-rev': reversePointer(t.ip),
    // The address's DNS name; Python's None where it has none, as fail2ban writes it.
    ...(o.ipHost === undefined ? {} : { 'ip-host': o.ipHost ?? 'None' }),
    fid: t.ip,
    failures: String(t.failures),
    time: pythonFloat(t.time / 1000),
    bantime: String(t.bantime),
    bancount: String(t.bancount),
    matches,
    ...(all === null ? {} : { ipmatches: all.matches.join('\n'), ipfailures: String(all.failures) }),
    ...(jail === null ? {} : { ipjailmatches: jail.matches.join('\n'), ipjailfailures: String(jail.failures) }),
    restored: t.restored ? '1' : '0',
    br: '\n',
    sp: ' ',
    'fq-hostname': o.host.fq,
    'sh-hostname': o.host.short,
  };
  const vars: Array<[string, string]> = [];
  const put = (tag: string, value: string) => {
    if (!SHELL_SPECIAL.test(value)) return value;
    const name = `f2bV_${tag.replace(/\W/g, '_')}`;
    if (!vars.some(([n]) => n === name)) vars.push([name, value]);
    return `$${name}`;
  };
  let out = script.replace(TAG, (whole, tag: string) => {
    const v = values[tag];
    if (v === undefined) return whole;
    // Fixed texts, not values from a ban: fail2ban puts these in as they are.
    return tag === 'br' || tag === 'sp' || tag === 'fq-hostname' || tag === 'sh-hostname' ? v : put(tag, v);
  });
  if (out.includes('<')) {
    const data = ticket?.data ?? {};
    out = out.replace(/<F-([A-Z0-9_-]+)>/g, (_, tag: string) => {
      // Named as the filter keeps its captures: <F-ID> is fid, <F-PORT> fport (fail2ban's mapTag2Opt), <F-ALT-USER> alt_user.
      const key = fieldGroupName(tag);
      const v = data[key];
      return v === undefined ? '' : put(`F_${key}`, v);
    });
  }
  if (vars.length === 0) return { script: out, args: [] };
  return { script: `${vars.map(([n], i) => `${n}=$${i} `).join('')}\n${out}`, args: vars.map(([, v]) => v) };
}

/** `<ip-rev>`: the address's reverse-DNS name without the arpa domain (1.2.0.192. for 192.0.2.1). */
export function reversePointer(ip: string): string {
  if (ip === '' || ip.includes('/')) return '';
  if (ipFamily(ip) === 4) return `${ip.split('.').reverse().join('.')}.`;
  // The 32 hex digits of the address, last first.
  return `${[...ipToBig(ip).toString(16).padStart(32, '0')].reverse().join('.')}.`;
}

/** A float as Python's str() writes it: 1700000001.0, 1700000000.5. */
function pythonFloat(x: number): string {
  return Number.isInteger(x) ? `${x}.0` : String(x);
}
