/**
 * fail2ban's regex tags, expanded to Python-syntax regex text before
 * translation. The pieces are ours; the group names (ip4, ip6, dns, cidr, fid,
 * user, ...) follow fail2ban so `<F-…>` captures mean the same thing.
 */
const IP4 = String.raw`(?:\d{1,3}\.){3}\d{1,3}`;
// Every repeated alternative ends in ":", so a closing ":" needs no lookbehind (fail2ban writes `(?<=:):`);
// without one, V8 can hand a runaway match to its linear engine (util/regex-budget.ts).
const IP6 = String.raw`(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|:)`;
const P_IP4 = String.raw`(?:::f{4,6}:)?(?P<ip4>${IP4})`;
const P_IP6 = String.raw`(?P<ip6>${IP6})`;
const P_DNS = String.raw`(?P<dns>[\w\-.^_]*\w)`;
const EITHER = `(?:${P_IP4}|${P_IP6})`;
// As fail2ban has it: either address may stand in brackets (monitorix writes `[127.0.0.1]`), <IP6> alone may not.
const P_ADDR = String.raw`\[?${EITHER}\]?`;

export const HOST_TAGS: Record<string, string> = {
  HOST: `(?:${P_ADDR}|${P_DNS})`,
  ADDR: P_ADDR,
  IP4: P_IP4,
  IP6: P_IP6,
  DNS: P_DNS,
  CIDR: String.raw`(?P<cidr>\d+)`,
  SUBNET: String.raw`\[?${EITHER}(?:/(?P<cidr>\d+))?\]?`,
};

/**
 * `<SKIPLINES>`, the n-th of a regex: fail2ban's form, the end of a line and
 * then as few whole lines as it takes, each with its newline, so that what
 * follows starts a line. The lines are captured: a multi-line match leaves
 * them in the buffer for later matches (Filter.splitBuffer).
 */
export function skipLines(n: number): string {
  return String.raw`\n(?P<skiplines${n}>(?:[^\n]*\n)*?)`;
}

/** The group names skipLines() captures with. */
export const SKIPLINES_GROUP = /^skiplines\d+$/;

/** `usedns = no`: <HOST> takes addresses only, as in fail2ban. */
const HOST_NO_DNS = P_ADDR;

/** fail2ban renames a few field tags to avoid clashing with its own option names. */
const FIELD_RENAME: Record<string, string> = { id: 'fid', port: 'fport' };

export function fieldGroupName(tag: string): string {
  const lower = tag.toLowerCase().replace(/-/g, '_');
  return FIELD_RENAME[lower] ?? lower;
}

/** Expand `<HOST>`-style and `<F-NAME>…</F-NAME>` tags in a (Python) regex. */
export function expandRegexTags(regex: string, opts: { useDns?: boolean } = {}): string {
  let skips = 0;
  return regex.replace(/<(\/?)F-([A-Za-z][\w-]*)(\/?)>|<(HOST|ADDR|IP4|IP6|DNS|CIDR|SUBNET|SKIPLINES)>/g,
    (_whole, close: string | undefined, field: string | undefined, selfClose: string | undefined, tag: string | undefined) => {
      if (tag === 'SKIPLINES') return skipLines(skips++);
      if (tag !== undefined) return tag === 'HOST' && opts.useDns === false ? HOST_NO_DNS : HOST_TAGS[tag]!;
      const name = fieldGroupName(field!);
      if (close) return ')';
      if (selfClose) return `(?P<${name}>)`;
      return `(?P<${name}>`;
    });
}

/**
 * The first `<name>` tag that expandRegexTags() leaves in `regex`: one no
 * option defined when the filter was read, most often a mode the filter lacks
 * (`<mdre-extra>`); null when none is left. Named groups it wrote, `(?P<…>`,
 * are not tags.
 */
export function unresolvedTag(regex: string): string | null {
  return /(?<!\(\?P)<([\w-]+)>/.exec(expandRegexTags(regex))?.[1] ?? null;
}
