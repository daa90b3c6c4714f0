import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError, RegexTranslationError } from '../util/errors.js';
import type { FilterSpec } from '../filter/filter.js';
import { ConfigStore } from './store.js';
import { CompiledRegex } from '../filter/compiled-regex.js';
import { regexRisk } from '../filter/regex-risk.js';
import { substituteTags } from './tags.js';

/** A filter as the jail asks for it, resolved into what the filter engine runs. */
export interface ResolvedFilter {
  spec: FilterSpec;
  journalmatch: string[];
  file: string;
  /** Where each regex key was set, for errors about a regex. */
  where: (key: string) => { file: string; line?: number | undefined };
}

export interface FilterRequest {
  /** A name from filter.d, or a path to a .conf file. */
  name: string;
  /** Arguments from `filter = name[k=v]`; they override [Init] and [Definition]. */
  args: Record<string, string>;
  /** Options the jail section sets for its filter (maxlines, datepattern, …). */
  jailOverrides?: Record<string, string>;
  /** failregex / ignoreregex lines the jail adds. */
  extraFailregex?: string[];
  extraIgnoreregex?: string[];
  useDns?: boolean;
  maxlinelen?: number;
  /** Where the request came from, for errors. */
  where: { file: string; line?: number | undefined; key: string };
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

export function resolveFilter(configDir: string, req: FilterRequest): ResolvedFilter {
  const loc = filterFilePath(configDir, req.name);
  if (!loc) {
    throw new ConfigError(req.where, `filter "${req.name}" not found (looked for ${join(configDir, 'filter.d', req.name + '.conf')})`,
      'check the filter name, or add the file to filter.d/');
  }
  const store = new ConfigStore();
  store.readFamily(loc.dir, loc.base);
  const file = join(loc.dir, `${loc.base}.conf`);

  const raw = (key: string): string | undefined => {
    if (key in req.args) return req.args[key];
    if (req.jailOverrides && key in req.jailOverrides) return req.jailOverrides[key];
    const init = store.ownEntry('Init', key);
    if (init) return store.interpolate('Init', init.value, init, key, 0);
    return store.get('Definition', key);
  };
  const where = (key: string) => {
    const e = store.entry('Definition', key) ?? store.entry('Init', key);
    return { file: e?.file ?? file, line: e?.line };
  };
  const resolved = (key: string): string | undefined => {
    const v = raw(key);
    if (v === undefined) return undefined;
    return substituteTags(v, {
      own: raw,
      other: (section, k) => (section === 'Definition' || section === 'Init' ? raw(k) : store.get(section, k)),
      where: where(key),
    }, key);
  };
  const lines = (v: string | undefined) => (v ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');

  const failregex = [...lines(resolved('failregex')), ...(req.extraFailregex ?? [])];
  if (failregex.length === 0) {
    throw new ConfigError({ ...where('failregex'), key: 'failregex' }, `filter "${req.name}" has no failregex`);
  }
  const maxlinesText = resolved('maxlines') ?? '1';
  const maxlines = Number(maxlinesText);
  if (!Number.isInteger(maxlines) || maxlines < 1) {
    throw new ConfigError({ ...where('maxlines'), key: 'maxlines' }, `maxlines must be a whole number >= 1, got "${maxlinesText}"`);
  }
  const prefregex = resolved('prefregex')?.trim();
  const spec: FilterSpec = {
    name: req.name,
    failregex,
    ignoreregex: [...lines(resolved('ignoreregex')), ...(req.extraIgnoreregex ?? [])],
    prefregex: prefregex ? prefregex : undefined,
    datepattern: lines(resolved('datepattern')),
    maxlines,
    maxlinelen: req.maxlinelen ?? 10_000,
    useDns: req.useDns ?? true,
  };
  const journalmatch = (resolved('journalmatch') ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  return { spec, journalmatch, file, where };
}

/**
 * Compiles every regex of a resolved filter, as the engine will: one that
 * cannot be translated is a config error naming the filter file, line and key
 * (not a surprise when the daemon starts). Returns warnings for regexes that
 * can backtrack catastrophically; they still load (fail2ban would run them
 * too), and the warning says which one to fix and what bounds it meanwhile.
 */
export function checkFilterRegexes(jail: string, filter: ResolvedFilter): string[] {
  const { spec } = filter;
  const out: string[] = [];
  const check = (key: string, patterns: string[]) => patterns.forEach((p, i) => {
    const which = patterns.length > 1 ? `${key} #${i + 1}` : key;
    let source: string;
    try {
      source = new CompiledRegex(p, { multiline: spec.maxlines > 1, useDns: spec.useDns }).re.source;
    } catch (e) {
      if (!(e instanceof RegexTranslationError) && !(e instanceof SyntaxError)) throw e;
      throw new ConfigError({ ...filter.where(key), key: which }, `jail "${jail}", filter "${spec.name}": ${e.message}`,
        e instanceof RegexTranslationError ? e.hint : 'fix the regex (it is Python syntax, as in fail2ban)');
    }
    const risk = regexRisk(source);
    if (!risk) return;
    out.push(`jail "${jail}": ${filter.file}: ${which} nests unbounded repetition (${risk.fragment}) and can backtrack catastrophically on long lines; ` +
      (risk.unbounded
        ? `it uses back-references or lookarounds, so only the line cap (maxlinelen ${spec.maxlinelen}) bounds it: rewrite it without the nesting`
        : `bantop switches such a match to a linear-time engine, but rewrite it without the nesting`));
  });
  check('failregex', spec.failregex);
  check('ignoreregex', spec.ignoreregex);
  if (spec.prefregex) check('prefregex', [spec.prefregex]);
  return out;
}
