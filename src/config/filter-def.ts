import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError, RegexTranslationError, type ConfigLocation } from '../util/errors.js';
import type { FilterSpec } from '../filter/filter.js';
import { ConfigStore } from './store.js';
import { CompiledRegex, type RegexOptions } from '../filter/compiled-regex.js';
import { checkDatePattern, compileDatePattern, DatePatternError, isNoDatePattern } from '../filter/dates.js';
import { FAILURE_ID_HINT, hasFailureId, NO_FAILURE_ID } from '../filter/failure-id.js';
import { unresolvedTag } from '../filter/host-tags.js';
import { regexRisk } from '../filter/regex-risk.js';
import { wholeNumber } from '../util/whole-number.js';
import { fileSectionTags, substituteTags } from './tags.js';

/** A filter as the jail asks for it, resolved into what the filter engine runs. */
export interface ResolvedFilter {
  spec: FilterSpec;
  /** The arguments the filter was read with: the request's, and the logtype its log's kind implies (autoLogtype). */
  args: Record<string, string>;
  journalmatch: string[];
  file: string;
  /**
   * Where a key was set, for errors about it. For a list (failregex,
   * ignoreregex, datepattern), `index` is the line in the filter's whole list,
   * and the key names it by its place where it was written (`failregex #2`),
   * the filter file's or the jail's.
   */
  where: (key: string, index?: number) => ConfigLocation;
}

export interface FilterRequest {
  /** A name from filter.d, or a path to a .conf file. */
  name: string;
  /** Arguments from `filter = name[k=v]`; they override [Init] and [Definition]. */
  args: Record<string, string>;
  /** Options the jail section sets for its filter (maxlines, datepattern, …). */
  jailOverrides?: Record<string, string>;
  /**
   * The jail's own failregex / ignoreregex lines, where it sets the option:
   * they replace the filter's, as in fail2ban (`%(known/failregex)s` in the
   * jail's value brings the filter's back: filterOwnOptions()). Where the
   * filter sets them in [Init] or its arguments, the two lists add up, as
   * fail2ban sends its server both.
   */
  failregex?: string[] | undefined;
  ignoreregex?: string[] | undefined;
  useDns?: boolean;
  maxlinelen?: number;
  /** Where the request came from, for errors. */
  where: { file: string; line?: number | undefined; key: string };
  /** Where the jail sets one of `jailOverrides` or the extra regexes, for errors. */
  jailAt?: (key: string) => ConfigLocation;
  /**
   * The logtype the log's kind implies (`journal` for the systemd backend),
   * taken unless the jail, the filter argument or the filter's own
   * [Definition] sets one: fail2ban's applyAutoOptions().
   */
  autoLogtype?: string | undefined;
}

export function filterFilePath(configDir: string, name: string): { dir: string; base: string } | null {
  if (name.endsWith('.conf') || name.includes('/')) {
    if (!existsSync(name)) return null;
    return { dir: dirname(name), base: basename(name).replace(/\.(conf|local)$/, '') };
  }
  const dir = join(configDir, 'filter.d');
  if (!existsSync(join(dir, `${name}.conf`)) && !existsSync(join(dir, `${name}.local`))) return null;
  return { dir, base: name };
}

/**
 * The filter's options as fail2ban's FilterReader gives them, before the
 * jail's: its arguments, [Init] and [Definition], every substitution made;
 * undefined for an option the filter does not set. A jail's `%(known/x)s`
 * reads them (fail2ban merges them into the jail's section as `known/x`).
 */
export function filterOwnOptions(configDir: string, req: Pick<FilterRequest, 'name' | 'args' | 'where' | 'autoLogtype'>): (key: string) => string | undefined {
  const { raw, resolved } = openFilter(configDir, req);
  return (key) => (raw(key) === undefined ? undefined : resolved(key));
}

/** The filter file, read, and its options looked up as `req` overrides them. */
function openFilter(configDir: string, req: Pick<FilterRequest, 'name' | 'args' | 'where' | 'autoLogtype' | 'jailOverrides'>) {
  const loc = filterFilePath(configDir, req.name);
  if (!loc) {
    throw new ConfigError(req.where, `filter "${req.name}" not found (looked for ${join(configDir, 'filter.d', req.name + '.conf')})`,
      'check the filter name, or add the file to filter.d/');
  }
  const store = new ConfigStore();
  store.readFamily(loc.dir, loc.base);
  const file = join(loc.dir, `${loc.base}.conf`);

  const args = { ...req.args };
  if (req.autoLogtype !== undefined && !('logtype' in args) && !store.ownEntry('Definition', 'logtype')) {
    args['logtype'] = req.autoLogtype;
  }
  /** The filter's arguments and [Init]: fail2ban's initOpts. */
  const initOf = (key: string): string | undefined => {
    if (key in args) return args[key];
    const init = store.ownEntry('Init', key);
    return init && store.interpolate('Init', init.value, init, key, 0);
  };
  const raw = (key: string): string | undefined => {
    const init = initOf(key);
    const jail = req.jailOverrides?.[key];
    if (jail !== undefined) return init === undefined ? jail : overInit(key, init, jail);
    return init ?? store.get('Definition', key);
  };
  const inFile = (key: string) => {
    const e = store.entry('Definition', key) ?? store.entry('Init', key);
    return { file: e?.file ?? file, line: e?.line };
  };
  const resolved = (key: string): string | undefined => {
    const v = raw(key);
    if (v === undefined) return undefined;
    return substituteTags(v, {
      own: raw,
      other: fileSectionTags(store, raw),
      where: inFile(key),
    }, key);
  };
  return { store, file, args, raw, resolved, inFile, initOf };
}

/**
 * A filter option both the jail (or DEFAULT) and the filter's arguments or
 * [Init] set. fail2ban sends its server both, the filter's first: a value set
 * last holds (datepattern), a list adds up (journalmatch; failregex and
 * ignoreregex too: resolveFilter), and maxlines and prefregex go to the front
 * of the commands, so the filter's holds. The jail's always replaces the
 * filter's [Definition].
 */
function overInit(key: string, init: string, jail: string): string {
  if (key === 'datepattern') return jail;
  if (key === 'journalmatch') return `${init}\n${jail}`;
  return init;
}

export function resolveFilter(configDir: string, req: FilterRequest): ResolvedFilter {
  const { file, args, resolved, inFile, initOf } = openFilter(configDir, req);
  const jailList = (key: 'failregex' | 'ignoreregex') => {
    const jail = req[key];
    if (jail === undefined) return configLines(resolved(key));
    return initOf(key) === undefined ? jail : [...configLines(resolved(key)), ...jail];
  };
  const failregex = jailList('failregex');
  const ignoreregex = jailList('ignoreregex');
  const datepattern = configLines(resolved('datepattern'));
  const listed: Record<string, { length: number; jail: boolean }> = {
    failregex: { length: failregex.length, jail: req.failregex !== undefined },
    ignoreregex: { length: ignoreregex.length, jail: req.ignoreregex !== undefined },
    datepattern: { length: datepattern.length, jail: req.jailOverrides !== undefined && 'datepattern' in req.jailOverrides },
  };
  const fromJail = (key: string) => ({ file: req.where.file, line: req.where.line, ...req.jailAt?.(key) });
  const where = (key: string, index = 0): ConfigLocation => {
    const named = (at: { file: string; line?: number | undefined }, nth: number, of: number) => ({ file: at.file, line: at.line, key: of > 1 ? `${key} #${nth + 1}` : key });
    // A value the filter argument (`filter = name[k=v]`) or the jail sets is the jail's to fix, not the filter file's.
    if (key in req.args) return named(req.where, index, 1);
    const list = listed[key];
    if (list?.jail || (req.jailOverrides && key in req.jailOverrides)) return named(fromJail(key), index, list?.length ?? 1);
    return named(inFile(key), index, list?.length ?? 1);
  };
  if (failregex.length === 0) {
    throw new ConfigError(where('failregex'), `filter "${req.name}" has no failregex`);
  }
  const maxlinesText = resolved('maxlines') ?? '1';
  const maxlines = wholeNumber(maxlinesText);
  if (maxlines === null || maxlines < 1) {
    throw new ConfigError(where('maxlines'), `maxlines must be a whole number >= 1, got "${maxlinesText}"`);
  }
  const prefregex = resolved('prefregex')?.trim();
  const spec: FilterSpec = {
    name: req.name,
    failregex,
    ignoreregex,
    prefregex: prefregex ? prefregex : undefined,
    datepattern,
    maxlines,
    maxlinelen: req.maxlinelen ?? 10_000,
    useDns: req.useDns ?? true,
  };
  const journalmatch = configLines(resolved('journalmatch'));
  return { spec, args, journalmatch, file, where };
}

/**
 * Compiles every regex of a resolved filter, as the engine will: one that
 * cannot be translated, or a failregex that names no host (fail2ban's "No
 * failure-id group", requireFailureIds()), is a config error naming the
 * filter file, line and key (not a surprise when the daemon starts). Returns
 * warnings for regexes that can backtrack catastrophically; they still load
 * (fail2ban would run them too), and the warning says which one to fix and
 * what bounds it meanwhile.
 */
export function checkFilterRegexes(jail: string, filter: ResolvedFilter): string[] {
  const who = `jail "${jail}", filter "${filter.spec.name}"`;
  const compiled = eachRegex(filter, who, (p, opts) => new CompiledRegex(p, opts));
  requireFailureIds(filter, who, compiled);
  eachDatePattern(filter, who, (p) => void compileDatePattern(p));
  const out: string[] = [];
  for (const { it: rx, which, at } of [...compiled.fail, ...compiled.ignore, ...compiled.pref]) {
    const risk = regexRisk(rx.re.source);
    if (!risk) continue;
    out.push(`jail "${jail}": ${at.file}: ${which} nests unbounded repetition (${risk.fragment}) and can backtrack catastrophically on long lines; ` +
      (risk.unbounded
        ? `it uses back-references or lookarounds, so only the line cap (maxlinelen ${filter.spec.maxlinelen}) bounds it: rewrite it without the nesting`
        : `bantop switches such a match to a linear-time engine, but rewrite it without the nesting`));
  }
  return out;
}

/**
 * What `bantop regex` checks of a filter file before it reads a line: that
 * each regex translates and each failregex names a host, with the file, line
 * and key, as checkFilterRegexes() reports them. On the translations only (kept
 * for the filter that is built next): building RegExps here would set V8's
 * regex flag before the early worker has booted (util/regex-budget.ts).
 */
export function checkFilterTranslations(filter: ResolvedFilter): void {
  const who = `filter "${filter.spec.name}"`;
  requireFailureIds(filter, who, eachRegex(filter, who, (p, opts) => CompiledRegex.groupsOf(p, opts)));
  eachDatePattern(filter, who, checkDatePattern);
}

/** `check` on each datepattern line; a bad one (fail2ban: "Failed to set datepattern") is a ConfigError with its file, line and key. */
function eachDatePattern(filter: ResolvedFilter, who: string, check: (pattern: string) => void): void {
  const { datepattern } = filter.spec;
  datepattern.forEach((pattern, i) => {
    // {NONE}: the filter's lines carry no date (filter.ts), there is no template.
    if (isNoDatePattern(pattern)) return;
    try {
      check(pattern);
    } catch (e) {
      if (!(e instanceof DatePatternError)) throw e;
      throw new ConfigError(filter.where('datepattern', i), `${who}: ${e.message}`, e.hint);
    }
  });
}

type Each<T> = Array<{ it: T; which: string; at: ConfigLocation; pattern: string }>;

/** `make` on each regex of the filter; a regex it cannot translate is a ConfigError with its file, line and key. */
function eachRegex<T>(filter: ResolvedFilter, who: string, make: (pattern: string, opts: RegexOptions) => T): { fail: Each<T>; ignore: Each<T>; pref: Each<T> } {
  const { spec } = filter;
  const opts = { multiline: spec.maxlines > 1, useDns: spec.useDns };
  const each = (key: string, patterns: string[]): Each<T> => patterns.map((pattern, i) => {
    const at = filter.where(key, i);
    const which = at.key ?? key;
    try {
      return { it: make(pattern, opts), which, at, pattern };
    } catch (e) {
      if (!(e instanceof RegexTranslationError) && !(e instanceof SyntaxError)) throw e;
      throw new ConfigError(at, `${who}: ${e.message}`, e instanceof RegexTranslationError ? e.hint : 'fix the regex (it is Python syntax, as in fail2ban)');
    }
  });
  return { fail: each('failregex', spec.failregex), ignore: each('ignoreregex', spec.ignoreregex), pref: spec.prefregex ? each('prefregex', [spec.prefregex]) : [] };
}

/** fail2ban's rule: every failregex has a failure-id group, or the prefregex has one. */
function requireFailureIds(filter: ResolvedFilter, who: string, r: { fail: Each<{ has(name: string): boolean }>; pref: Each<{ has(name: string): boolean }> }): void {
  if (r.pref.some(({ it }) => hasFailureId(it))) return;
  const blind = r.fail.find(({ it }) => !hasFailureId(it));
  if (blind === undefined) return;
  const tag = unresolvedTag(blind.pattern);
  throw new ConfigError(blind.at, `${who}: ${blind.pattern} ${NO_FAILURE_ID}`, tag !== null
    ? `no option sets "${tag}" (a mode or argument the filter does not have?); otherwise ${FAILURE_ID_HINT}, in itself or in the filter's prefregex`
    : `${FAILURE_ID_HINT}, in itself or in the filter's prefregex`);
}

/** A multi-line option's lines, trimmed, the empty ones left out. */
export function configLines(v: string | undefined): string[] {
  return (v ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
}
