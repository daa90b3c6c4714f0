import { parseNameWithArgs } from '../config/args.js';
import { filterFilePath, resolveFilter } from '../config/filter-def.js';
import type { FilterSpec } from '../filter/filter.js';
import { UserError } from '../util/errors.js';

/** FILTER: a name from filter.d with fail2ban-style options, a .conf path, or a raw failregex. */
export function filterFromArgument(configDir: string, arg: string): { spec: FilterSpec; label: string } {
  const looksLikeName = /^[\w.\-]+(?:\[.*\])?$/.test(arg);
  if (looksLikeName || arg.endsWith('.conf') || arg.endsWith('.local')) {
    let ref: { name: string; args: Record<string, string> } | undefined;
    try {
      ref = parseNameWithArgs(arg);
    } catch {
      ref = undefined;
    }
    if (ref && filterFilePath(configDir, ref.name)) {
      const r = resolveFilter(configDir, { ...ref, where: { file: '<command line>', key: 'FILTER' } });
      return { spec: r.spec, label: `${r.file}${Object.keys(ref.args).length ? ` ${JSON.stringify(ref.args)}` : ''}` };
    }
    if (!looksLikeName || arg.endsWith('.conf')) {
      throw new UserError(`filter file ${arg} not found`, { hint: 'give a filter name from filter.d, a path to a .conf file, or a regex' });
    }
  }
  return {
    spec: { name: 'regex', failregex: [arg], ignoreregex: [], datepattern: [], maxlines: 1, maxlinelen: 10_000, useDns: true },
    label: 'failregex given on the command line',
  };
}
