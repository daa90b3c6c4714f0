import { ConfigError } from '../util/errors.js';

/** fail2ban's tag syntax: `<name>`, no spaces or nested brackets inside. */
const TAG_RE = /<([^ <>]+)>/g;

export interface TagContext {
  /** A tag's value in the current definition, or undefined when it is not an option. */
  own(name: string): string | undefined;
  /** `<section/key>` references; undefined when there is no such option. */
  other(section: string, key: string): string | undefined;
  /** Where to point errors. */
  where: { file: string; line?: number | undefined };
}

/**
 * `<section/key>` in a filter or action file: [Definition] and [Init] are the
 * file's own options (`own`, with the jail's arguments); another section's
 * value comes from the store. A section that does not exist leaves the tag as
 * written, as fail2ban does (`<lt_<logtype>/x>` for an unknown logtype), not
 * DEFAULT's value, which would put the same tag back.
 */
export function fileSectionTags(
  store: { hasSection(section: string): boolean; get(section: string, key: string): string | undefined },
  own: (key: string) => string | undefined,
): TagContext['other'] {
  return (section, key) => (section === 'Definition' || section === 'Init' ? own(key) : store.hasSection(section) ? store.get(section, key) : undefined);
}

/**
 * Replaces `<tag>` references by option values, innermost first, until
 * nothing changes (`<mdre-<mode>>` becomes `<mdre-normal>` and then its value).
 * Tags that are not options (`<HOST>`, `<F-USER>`, `<ip>`) are left for the
 * regex compiler or the action runner.
 */
export function substituteTags(value: string, ctx: TagContext, key: string): string {
  let out = value;
  const visiting: string[] = [];
  for (let pass = 0; pass < 64; pass++) {
    let changed = false;
    out = out.replace(TAG_RE, (whole, name: string) => {
      const resolved = resolveTag(name, ctx);
      if (resolved === undefined) return whole;
      if (resolved.includes(whole)) {
        throw new ConfigError({ file: ctx.where.file, line: ctx.where.line, key },
          `tag <${name}> refers to itself (${[...visiting, name].join(' -> ')})`);
      }
      visiting.push(name);
      changed = true;
      return resolved;
    });
    if (!changed) return out;
  }
  throw new ConfigError({ file: ctx.where.file, line: ctx.where.line, key }, 'tag substitution does not end (a cycle between tags?)');
}

function resolveTag(name: string, ctx: TagContext): string | undefined {
  const slash = name.indexOf('/');
  if (slash > 0) {
    const section = name.slice(0, slash);
    const key = name.slice(slash + 1);
    if (section === 'known') return ctx.own(`known/${key}`) ?? ctx.own(key);
    return ctx.other(section, key);
  }
  return ctx.own(name);
}
