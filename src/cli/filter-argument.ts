import { join } from 'node:path';
import { parseNameWithArgs } from '../config/args.js';
import { checkFilterTranslations, filterFilePath, resolveFilter } from '../config/filter-def.js';
import { CompiledRegex } from '../filter/compiled-regex.js';
import { checkDatePattern, DatePatternError, isNoDatePattern, LOG_TIME_ZONE_HINT, parseLogTimeZone } from '../filter/dates.js';
import { FAILURE_ID_HINT, hasFailureId, NO_FAILURE_ID } from '../filter/failure-id.js';
import type { FilterSpec } from '../filter/filter.js';
import { RegexTranslationError, UserError } from '../util/errors.js';
import { wholeNumber } from '../util/whole-number.js';

/**
 * What the command line sets over the filter, as fail2ban-regex's options and
 * its third argument do: they win over the filter's own (its `-d`, `-L`).
 */
export interface FilterOverrides {
  /** --timezone: the zone of dates that give none (a jail's logtimezone). */
  timezone?: string | undefined;
  /** --datepattern: the one date pattern. */
  datepattern?: string | undefined;
  /** --maxlines, as given. */
  maxlines?: string | undefined;
  /** IGNOREREGEX: one more ignoreregex. */
  ignoreregex?: string | undefined;
}

/** FILTER: a name from filter.d with fail2ban-style options, a .conf path, or a raw failregex. */
export function filterFromArgument(configDir: string, arg: string, opts: { autoLogtype?: string } & FilterOverrides = {}): { spec: FilterSpec; label: string; journalmatch: string[] } {
  const r = filterOf(configDir, arg, opts);
  const spec = r.spec;
  if (opts.timezone !== undefined) spec.logtimezone = logTimeZone(opts.timezone, '--timezone');
  if (opts.maxlines !== undefined) {
    const maxlines = wholeNumber(opts.maxlines);
    if (maxlines === null || maxlines < 1) {
      throw new UserError(`--maxlines: "${opts.maxlines}" is not a number of lines`, { hint: 'give a whole number, 1 or more (the lines a multi-line failregex spans)' });
    }
    spec.maxlines = maxlines;
  }
  if (opts.datepattern !== undefined) {
    try {
      if (!isNoDatePattern(opts.datepattern)) checkDatePattern(opts.datepattern);
    } catch (e) {
      if (e instanceof DatePatternError) throw new UserError(`--datepattern: ${e.message}`, { hint: e.hint });
      throw e;
    }
    spec.datepattern = [opts.datepattern];
  }
  if (opts.ignoreregex !== undefined) {
    try {
      CompiledRegex.groupsOf(opts.ignoreregex, { multiline: spec.maxlines > 1, useDns: spec.useDns });
    } catch (e) {
      if (e instanceof RegexTranslationError) throw new UserError(`IGNOREREGEX: ${e.message}`, { hint: e.hint });
      throw e;
    }
    spec.ignoreregex = [...spec.ignoreregex, opts.ignoreregex];
  }
  return r;
}

/** A logtimezone's offset, or a user error that says what is read. */
function logTimeZone(text: string, where: string): number {
  const offset = parseLogTimeZone(text);
  if (offset === null) throw new UserError(`${where}: unknown or unsupported time zone "${text}"`, { hint: LOG_TIME_ZONE_HINT });
  return offset;
}

function filterOf(configDir: string, arg: string, opts: { autoLogtype?: string }): { spec: FilterSpec; label: string; journalmatch: string[] } {
  const looksLikeName = /^[\w.\-]+(?:\[.*\])?$/.test(arg);
  if (looksLikeName || arg.endsWith('.conf') || arg.endsWith('.local')) {
    let ref: { name: string; args: Record<string, string> } | undefined;
    try {
      ref = parseNameWithArgs(arg);
    } catch {
      ref = undefined;
    }
    if (ref && filterFilePath(configDir, ref.name)) {
      const r = resolveFilter(configDir, { ...ref, where: { file: '<command line>', key: 'FILTER' }, autoLogtype: opts.autoLogtype });
      // A regex that does not translate, or names no host, is reported with its file, line and key, as the daemon reports it.
      checkFilterTranslations(r);
      return { spec: r.spec, label: `${r.file}${Object.keys(ref.args).length ? ` ${JSON.stringify(ref.args)}` : ''}`, journalmatch: r.journalmatch };
    }
    if (!looksLikeName || arg.endsWith('.conf')) {
      throw new UserError(`filter file ${arg} not found`, { hint: 'give a filter name from filter.d, a path to a .conf file, or a regex' });
    }
  }
  const spec: FilterSpec = { name: 'regex', failregex: [arg], ignoreregex: [], datepattern: [], maxlines: 1, maxlinelen: 10_000, useDns: true };
  // As fail2ban-regex: a regex that names no host is refused. Most often it is a filter name that is not in filter.d.
  if (!hasFailureId(CompiledRegex.groupsOf(arg, { useDns: spec.useDns }))) {
    throw new UserError(`FILTER "${arg}" is taken as a failregex, and it ${NO_FAILURE_ID}`, {
      hint: looksLikeName ? `no filter "${arg.replace(/\[.*$/, '')}" in ${join(configDir, 'filter.d')}: check the name or --config; as a regex, ${FAILURE_ID_HINT}` : FAILURE_ID_HINT,
    });
  }
  return { spec, label: 'failregex given on the command line', journalmatch: [] };
}
