import { UserError } from '../util/errors.js';
import { canonicalTarget } from '../util/ip.js';

export interface BlocklistEntry {
  /** Canonical address or CIDR. */
  ip: string;
  jail?: string | undefined;
  comment?: string | undefined;
  line: number;
}

export type BlocklistFormat = 'ip' | 'ip,jail' | 'comment';
export const BLOCKLIST_FORMATS: readonly BlocklistFormat[] = ['ip', 'ip,jail', 'comment'];

const JAIL = /^[\w.\-]+$/;

/**
 * Reads the three plain blocklist formats, mixed freely: `ip`, `ip,jail` and
 * `ip  # comment`; blank lines and `#` lines are skipped. Any bad line rejects
 * the whole file, so a half-imported list never lands.
 */
export function parseBlocklist(text: string, file: string): BlocklistEntry[] {
  const { entries, problems } = scanBlocklist(text, file);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('\n');
    const more = problems.length > 10 ? `\n… and ${problems.length - 10} more` : '';
    throw new UserError(`${shown}${more}`, { hint: 'fix these lines; nothing was imported' });
  }
  return entries;
}

/** The good lines and a message per bad one (`file:line N [field]: …`); the mirrored blocklist skips bad lines. */
export function scanBlocklist(text: string, file: string): { entries: BlocklistEntry[]; problems: string[] } {
  const out: BlocklistEntry[] = [];
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const hash = raw.indexOf('#');
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    const comment = hash >= 0 ? raw.slice(hash + 1).trim() || undefined : undefined;
    if (body === '') continue;
    const [addr, jail, ...extra] = body.split(',').map((s) => s.trim());
    const at = `${file}:line ${i + 1}`;
    if (extra.length > 0) {
      problems.push(`${at} [jail]: too many fields in "${body.slice(0, 80)}" (expected ip or ip,jail)`);
      continue;
    }
    const ip = canonicalTarget(addr ?? '');
    if (ip === null) {
      problems.push(`${at} [ip]: "${(addr ?? '').slice(0, 80)}" is not an IP address or CIDR`);
      continue;
    }
    if (jail !== undefined && !JAIL.test(jail)) {
      problems.push(`${at} [jail]: "${jail.slice(0, 80)}" is not a jail name`);
      continue;
    }
    out.push({ ip, jail: jail || undefined, comment, line: i + 1 });
  }
  return { entries: out, problems };
}

export function formatBlocklist(entries: Array<{ ip: string; jail: string; comment?: string }>, format: BlocklistFormat): string {
  let s = '';
  for (const e of entries) {
    if (format === 'ip') s += `${e.ip}\n`;
    else if (format === 'ip,jail') s += `${e.ip},${e.jail}\n`;
    else s += `${e.ip}  # ${e.comment ?? e.jail}\n`;
  }
  return s;
}
