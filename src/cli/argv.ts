import { UserError } from '../util/errors.js';

/**
 * A small argv parser: `--flag`, `--opt value`, `--opt=value`, positionals.
 * Each command declares its options; values are then checked with zod
 * (args.ts). It has no imports of weight: the entry parses argv before the
 * rest of the CLI has loaded.
 */
export interface OptionSpec {
  [name: string]: 'flag' | 'value';
}

export interface ParsedArgs {
  options: Record<string, string | boolean>;
  positionals: string[];
}

export function parseArgv(argv: string[], spec: OptionSpec): ParsedArgs {
  const options: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const kind = spec[name];
      if (!kind) throw new UserError(`unknown option --${name}`, { hint: 'run "bantop --help" for the options' });
      if (kind === 'flag') {
        if (eq >= 0) throw new UserError(`--${name} takes no value`);
        options[name] = true;
      } else {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UserError(`--${name} needs a value`);
        options[name] = v;
      }
      continue;
    }
    if (a === '-h' && spec['help'] === 'flag') {
      options['help'] = true;
      continue;
    }
    // fail2ban-regex's and fail2ban-client's short options (-v, -l …) would otherwise be taken for a log line or
    // an address. '-' (standard input) and '-1' stay positionals.
    if (/^-[A-Za-z]/.test(a)) {
      throw new UserError(`unknown option ${a}`, { hint: 'bantop\'s options are long ones (run "bantop --help"); put -- before an argument that starts with -' });
    }
    positionals.push(a);
  }
  return { options, positionals };
}

/** The options `bantop` knows, for every command. */
export const GLOBAL_OPTIONS: OptionSpec = {
  config: 'value', socket: 'value', json: 'flag', help: 'flag', version: 'flag',
  demo: 'flag', 'demo-rate': 'value', readonly: 'flag', jail: 'value', for: 'value', everywhere: 'flag', all: 'flag', force: 'flag',
  whitelist: 'flag', 'flush-on-stop': 'flag', format: 'value',
  backend: 'value', ports: 'value', common: 'flag', apply: 'flag', 'include-open': 'flag', timezone: 'value', encoding: 'value',
  datepattern: 'value', maxlines: 'value',
  'print-all-matched': 'flag', 'print-all-missed': 'flag', 'print-all-ignored': 'flag', 'print-no-missed': 'flag', 'print-no-ignored': 'flag',
};
