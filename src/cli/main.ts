#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_CONFIG_DIR, loadConfig } from '../config/load.js';
import { ConfigError, isUserError, UserError } from '../util/errors.js';
import { parseArgv, validate, type OptionSpec } from './args.js';
import { filterFromArgument, formatRegexReport, regexJson, scanLog } from './regex.js';

const GLOBAL: OptionSpec = {
  config: 'value', socket: 'value', json: 'flag', help: 'flag', version: 'flag',
  demo: 'flag', readonly: 'flag', jail: 'value', for: 'value', everywhere: 'flag', force: 'flag',
  whitelist: 'flag', 'flush-on-stop': 'flag',
};

export const SHIPPED_CONFIG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'assets', 'config');

const USAGE = `usage: bantop [--config DIR] [--socket PATH] [--json] COMMAND [ARGS]

commands:
  regex LOG FILTER      test a filter on a log file or a single line (like fail2ban-regex)
  config check          load and validate the configuration, list the enabled jails

options:
  --config DIR          configuration directory (default ${DEFAULT_CONFIG_DIR}; bantop's
                        shipped defaults when that does not exist). /etc/fail2ban works.
  --json                machine-readable output
`;

/** Where config lives when --config is not given: /etc/bantop, else the shipped defaults. */
export function defaultConfigDir(): string {
  return existsSync(DEFAULT_CONFIG_DIR) ? DEFAULT_CONFIG_DIR : SHIPPED_CONFIG;
}

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const args = parseArgv(argv, GLOBAL);
  const o = args.options;
  if (o['version']) {
    out.write('bantop 0.1.0\n');
    return 0;
  }
  const [command, ...rest] = args.positionals;
  if (o['demo'] && command === undefined) {
    out.write('bantop demo: the live TUI (simulated attacks, dry-run firewall) is not built yet.\n' +
      'What works today: the filter engine. Try\n' +
      `  node dist/cli/main.js --config ${SHIPPED_CONFIG} regex "Jun 21 16:47:48 web1 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2" sshd\n`);
    return 0;
  }
  if (o['help'] || command === undefined || command === 'help') {
    out.write(USAGE);
    return command === undefined && !o['help'] ? 2 : 0;
  }
  const configDir = typeof o['config'] === 'string' ? o['config'] : defaultConfigDir();
  const json = o['json'] === true;

  switch (command) {
    case 'regex': {
      const [log, filterArg] = validate(
        z.tuple([z.string().min(1, 'LOG is empty'), z.string().min(1, 'FILTER is empty')]),
        rest, 'bantop regex LOG FILTER');
      const { spec, label } = filterFromArgument(configDir, filterArg);
      if (json) regexJson(spec, log, (s) => out.write(s));
      else out.write(formatRegexReport(scanLog(spec, log, () => {}), label, log));
      return 0;
    }
    case 'config': {
      if (rest[0] !== 'check') throw new UserError('usage: bantop config check', { hint: 'run "bantop --help"' });
      const cfg = loadConfig(configDir);
      if (json) {
        out.write(JSON.stringify({ dir: cfg.dir, settings: cfg.settings, jails: cfg.jails.map((j) => ({ ...j, filter: j.filter.name })), warnings: cfg.warnings }) + '\n');
      } else {
        out.write(`config ${cfg.dir}: ${cfg.jails.length} enabled jail(s)\n`);
        for (const j of cfg.jails) {
          out.write(`  ${j.name}: filter ${j.filterName}, maxretry ${j.maxretry}, findtime ${j.findtime}s, bantime ${j.bantime}s, ` +
            `${j.backend === 'systemd' ? 'journal' : j.logpath.join(' ')}\n`);
        }
        for (const w of cfg.warnings) out.write(`warning: ${w}\n`);
      }
      return 0;
    }
    default:
      throw new UserError(`unknown command "${command}"`, { hint: 'run "bantop --help" for the commands' });
  }
}

/** Print a user error as message + next step; anything else is a bug and keeps its stack. */
export function reportError(e: unknown, err: NodeJS.WritableStream = process.stderr): number {
  if (isUserError(e)) {
    err.write(`bantop: ${e.message}\n`);
    if (e.hint) err.write(`  ${e instanceof ConfigError ? 'next' : 'try'}: ${e.hint}\n`);
    return e.exitCode;
  }
  err.write(`bantop: internal error (a bug, please report it):\n${(e as Error)?.stack ?? String(e)}\n`);
  return 70;
}

const isEntry = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e) => { process.exitCode = reportError(e); },
  );
}
