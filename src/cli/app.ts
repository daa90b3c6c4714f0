/** The bantop CLI: every command, loaded by the entry (main.ts) once it has started what can start early. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
// zod/mini, not the classic API: the same checks, 30 ms sooner at every command's start (util/zod-mini.ts).
import * as z from '../util/zod-mini.js';
import { configDirOf, DEFAULT_CONFIG_DIR, SHIPPED_CONFIG } from '../config/default-dir.js';
import { ConfigError, isUserError, UserError } from '../util/errors.js';
import { validate } from './args.js';
import { GLOBAL_OPTIONS, parseArgv } from './argv.js';
import { filterFromArgument } from './filter-argument.js';
import { LOG_ENCODING_HINT, lineDecoder } from '../source/log-encoding.js';
import { regexCommand } from './regex.js';


const CLIENT_COMMANDS = new Set(['status', 'list', 'history', 'ban', 'permaban', 'unban', 'whitelist', 'reload', 'import', 'export']);


const USAGE = `usage: bantop [--config DIR] [--socket PATH] [--json] COMMAND [ARGS]
       bantop [--demo [--demo-rate N]] [--readonly]
                                         the live TUI (attached to the daemon, or embedded);
                                         --demo-rate: a steady N simulated lines/s instead of waves

commands:
  serve [--flush-on-stop]            run the daemon in the foreground
  status [JAIL]                      daemon, jail and ban counts (fail2ban-style for one jail)
  list [--jail J]                    current bans
  history IP|CIDR                    every ban and unban of an address, from the store
  ban IP|CIDR [--jail J] [--for D] [--force]
                                     ban now (default: the jail's bantime; jail "manual")
  permaban IP|CIDR [--jail J] [--force]
                                     ban forever (the permanent list, all ports)
  unban IP|CIDR [--jail J | --everywhere] [--whitelist]
                                     lift a ban in one jail, or everywhere (the default:
                                     every jail, the permanent list, the blocklist file,
                                     and old log lines never count again)
  unban --all [--jail J]             lift every ban (as fail2ban-client unban --all), or
                                     every ban of one jail
  whitelist add|rm IP|CIDR           never ban this address or network (add also unbans)
  whitelist list
  reload                             re-read the config, bring the firewall in line
  import FILE|- [--jail J] [--for D] ban every address of a blocklist (ip | ip,jail | ip  # comment);
                                     -: read it from standard input
  export [FILE] [--format ip|ip,jail|comment]
  regex [--timezone TZ] [--encoding E] [--datepattern P] [--maxlines N] [--print-all-matched]
        [--print-all-missed | --print-no-missed] [--print-all-ignored | --print-no-ignored] LOG FILTER [IGNOREREGEX]
                                     test a filter on a log file or a single line (like fail2ban-regex);
                                     missed and ignored lines are listed when fewer than 20;
                                     TZ: the zone of dates that give none (a jail's logtimezone);
                                     E: the log file's encoding (a jail's logencoding; default UTF-8);
                                     P, N: the date pattern and maxlines, over the filter's;
                                     IGNOREREGEX: one more ignoreregex
  ports [--backend nft|iptables] [--ports LIST | --common] [--include-open] [--apply]
                                     print (or install) LOG rules for closed ports,
                                     read by the closed-ports jail
  config check                       load and validate the configuration, list the enabled jails

--force lets a ban cut the operator's own SSH connection, this host or loopback
(never a whitelisted address).

exit status: 0 done, 2 bad input (nothing changed), 3 no daemon running, 1 other failures.

options:
  --config DIR          configuration directory (default ${DEFAULT_CONFIG_DIR}; bantop's
                        shipped defaults when that does not exist). /etc/fail2ban works.
  --json                machine-readable output
  --help, -h            this text; options are long ones (-- before an argument starting with -)
`;


export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const args = parseArgv(argv, GLOBAL_OPTIONS);
  const o = args.options;
  if (o['version']) {
    out.write('bantop 0.1.0\n');
    return 0;
  }
  const [command, ...rest] = args.positionals;
  if (command === undefined && !o['help']) {
    const configDir = configDirOf(o);
    const socket = typeof o['socket'] === 'string' ? o['socket'] : o['demo'] ? '' : (await import('../config/load.js')).loadSettings(configDir).socket;
    // Ink draws only a final frame when it thinks it runs in CI (is-in-ci reads these at import).
    // The TUI has checked for a real terminal, so it is interactive whatever the environment says.
    delete process.env['CI'];
    delete process.env['CONTINUOUS_INTEGRATION'];
    // React's development build records every render's changed props as a performance measure, and Node keeps those:
    // the demo at 5,000 lines/s grew by 20 MB a second (bench/tui.mjs). React picks its build when first imported.
    process.env['NODE_ENV'] ??= 'production';
    const demoRate = o['demo-rate'] === undefined ? undefined : validate(z.pipe(z.coerce.number('not a number'), z.int('not a whole number').check(z.minimum(1, 'below 1'), z.maximum(100_000, 'above 100,000'))), o['demo-rate'], '--demo-rate');
    if (demoRate !== undefined && o['demo'] !== true) throw new UserError('--demo-rate goes with --demo', { hint: 'run "bantop --demo --demo-rate 5000"' });
    (await import('../tui/ink-measure-cache.js')).boundInkMeasureCache();
    const { runTui } = await import('../tui/run.js');
    return runTui({ configDir, socket, demo: o['demo'] === true, demoRate, readonly: o['readonly'] === true, filterDir: join(SHIPPED_CONFIG, 'filter.d') });
  }
  if (o['help'] || command === undefined || command === 'help') {
    out.write(USAGE);
    return 0;
  }
  const configDir = configDirOf(o);
  const json = o['json'] === true;

  if (CLIENT_COMMANDS.has(command)) {
    // Each command loads only its own modules: the daemon's (SQLite, Redis, firewall) cost `bantop regex` a third of a second,
    // the config model (its loader and schemas) another 20 ms.
    const socket = typeof o['socket'] === 'string' ? o['socket'] : (await import('../config/load.js')).loadSettings(configDir).socket;
    const { runClientCommand } = await import('./control-commands.js');
    return runClientCommand(command, rest, { socket, json, out, options: o });
  }

  switch (command) {
    case 'serve': {
      if (rest.length) throw new UserError(`unexpected argument "${rest[0]}"`, { hint: 'usage: bantop serve [--config DIR] [--flush-on-stop]' });
      const { serve } = await import('../daemon/serve.js');
      return serve({ configDir, socket: typeof o['socket'] === 'string' ? o['socket'] : undefined, flushOnStop: o['flush-on-stop'] === true });
    }
    case 'regex': {
      const [log, filterArg, ignoreregex] = validate(
        z.tuple([z.string('LOG is missing').check(z.minLength(1, 'LOG is empty')), z.string('FILTER is missing').check(z.minLength(1, 'FILTER is empty')),
          z.optional(z.string().check(z.minLength(1, 'IGNOREREGEX is empty')))], 'give LOG, FILTER and at most an IGNOREREGEX'),
        rest, 'bantop regex LOG FILTER [IGNOREREGEX]');
      // LOG `systemd-journal[…]` reads the journal, as fail2ban-regex does: the filter's journal prefix and journalmatch apply.
      // Loaded only for the journal: it brings execa and zod's classic API, 0.2 s of every other bantop regex's start.
      const select = existsSync(log) || !log.startsWith('systemd-journal') ? null : (await import('./regex-journal.js')).journalLogArgs(log);
      const value = (k: string) => (typeof o[k] === 'string' ? o[k] : undefined);
      const timezone = value('timezone');
      const encoding = value('encoding');
      if (encoding !== undefined && lineDecoder(encoding) === undefined) {
        throw new UserError(`--encoding: "${encoding}" is not an encoding bantop can read`, { hint: LOG_ENCODING_HINT });
      }
      const { spec, label, journalmatch } = filterFromArgument(configDir, filterArg, { autoLogtype: select === null ? undefined : 'journal', timezone,
        datepattern: value('datepattern'), maxlines: value('maxlines'), ignoreregex });
      const flag = (k: string) => o[k] === true;
      const print = { allMatched: flag('print-all-matched'), allMissed: flag('print-all-missed'), allIgnored: flag('print-all-ignored'), noMissed: flag('print-no-missed'), noIgnored: flag('print-no-ignored') };
      if (print.allMissed && print.noMissed) throw new UserError('--print-all-missed and --print-no-missed contradict each other', { hint: 'give one of them' });
      if (print.allIgnored && print.noIgnored) throw new UserError('--print-all-ignored and --print-no-ignored contradict each other', { hint: 'give one of them' });
      await regexCommand(spec, log, label, json, (s) => out.write(s), select === null ? null : { select, match: journalmatch }, encoding, print);
      exitWhenDone = true;
      return 0;
    }
    case 'ports': {
      const { portsCommand } = await import('./ports.js');
      return portsCommand(rest, o, out);
    }
    case 'config': {
      if (rest[0] !== 'check') throw new UserError('usage: bantop config check', { hint: 'run "bantop --help"' });
      const { configWarnings, loadConfig } = await import('../config/load.js');
      const cfg = loadConfig(configDir);
      if (json) {
        out.write(JSON.stringify({ dir: cfg.dir, settings: cfg.settings, jails: cfg.jails.map((j) => ({ ...j, filter: j.filter.name })), warnings: configWarnings(cfg) }) + '\n');
      } else {
        out.write(`config ${cfg.dir}: ${cfg.jails.length} enabled jail(s)\n`);
        for (const j of cfg.jails) {
          out.write(`  ${j.name}: filter ${j.filterName}, maxretry ${j.maxretry}, findtime ${j.findtime}s, bantime ${j.bantime}s, ` +
            `${j.backend === 'systemd' ? 'journal' : j.logpath.join(' ')}\n`);
        }
        for (const w of configWarnings(cfg)) out.write(`warning: ${w}\n`);
      }
      return 0;
    }
    default:
      throw new UserError(`unknown command "${command}"`, { hint: 'run "bantop --help" for the commands' });
  }
}

/** Control bytes from a config file or an argument are shown, not sent to the terminal (an ESC could rewrite the screen). */
function visible(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Print a user error as message + next step; anything else is a bug and keeps its stack. */
export function reportError(e: unknown, err: NodeJS.WritableStream = process.stderr): number {
  if (isUserError(e)) {
    err.write(`bantop: ${visible(e.message)}\n`);
    if (e.hint) err.write(`  ${e instanceof ConfigError ? 'next' : 'try'}: ${visible(e.hint)}\n`);
    return e.exitCode;
  }
  err.write(`bantop: internal error (a bug, please report it):\n${(e as Error)?.stack ?? String(e)}\n`);
  return 70;
}

/**
 * Set by a command that leaves nothing behind but a large heap: `bantop regex`
 * on a million lines ends with ~100 MB of it, which Node tears down piece by
 * piece on a normal exit (15-20 ms, after the answer is printed).
 */
let exitWhenDone = false;

/** Runs the command line and sets the exit status. */
export async function run(argv: string[]): Promise<void> {
  const code = await main(argv).catch((e: unknown) => reportError(e));
  process.exitCode = code;
  if (!exitWhenDone) return;
  // Writes to a pipe may still be queued (output to `| head` or a slow reader): the empty write calls back after them.
  await new Promise<void>((done) => process.stdout.write('', () => done()));
  process.exit(code);
}
