import { existsSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { z } from 'zod';
import { DEFAULT_REPORT, type ReportSettings } from '../report/reporter.js';
import { parseDuration, DurationError } from '../util/duration.js';
import { ConfigError, UserError, type ConfigLocation } from '../util/errors.js';
import { journalSelectArgs } from '../source/journal-entry.js';
import { parseCidr } from '../util/ip.js';
import { parseNameWithArgsAt, splitActionList, type NamedWithArgs } from './args.js';
import { checkFilterRegexes, configLines, filterOwnOptions, resolveFilter } from './filter-def.js';
import { LOG_TIME_ZONE_HINT, parseLogTimeZone } from '../filter/dates.js';
import { LOG_ENCODING_HINT, lineDecoder } from '../source/log-encoding.js';
import { notFileKind, statOf } from '../util/file-kind.js';
import { wholeNumber } from '../util/whole-number.js';
import {
  DEFAULT_SETTINGS, JailSchema, SettingsSchema,
  type JailConfig, type LoadedConfig, type MissingLog, type Settings,
} from './model.js';
import { noDatabase } from '../store/db-path.js';
import { ConfigStore } from './store.js';
import { readFleetSettings } from '../fleet/settings.js';
import { DEFAULT_ESCALATION, parseEscalation, type EscalationRule } from '../engine/escalation.js';
import { compileBantimeFormula, evaluateBantimeFactor } from '../engine/bantime.js';
import { unknownCacheKeyTags } from '../engine/ignore-command.js';
import { PyExpressionError, PySyntaxError } from './py-expression.js';
import { HookError, hookOf } from '../firewall/hooks.js';
import { parsePorts, parseProtocol, PortError } from '../firewall/ports.js';


/** fail2ban action names bantop enforces natively (issue: enforcement). */
export const NATIVE_ACTIONS = new Set([
  'nftables-multiport', 'nftables-allports', 'nftables', 'iptables-multiport', 'iptables-allports', 'iptables',
  'iptables-ipset-proto6', 'iptables-ipset-proto6-allports', 'iptables-ipset', 'iptables-ipset-allports', 'hostsdeny',
  'bantop', 'dry-run', 'report',
]);

/**
 * The files that change a fail2ban action bantop would otherwise enforce in
 * its own table: the `.local` files and `NAME.d/` files fail2ban reads with
 * it (nftables-common.local turning the input chain into a prerouting
 * redirect, iptables-common.local moving the chain). bantop's table cannot
 * follow their options, so such an action runs as fail2ban runs it.
 */
function actionCustomisations(dir: string, name: string): string[] {
  const actionDir = join(dir, 'action.d');
  const store = new ConfigStore();
  store.readFamily(actionDir, name);
  return store.files.map((f) => relative(actionDir, f)).filter((f) => f.endsWith('.local') || f.includes('/')).map((f) => `action.d/${f}`);
}

/**
 * A native action's arguments that bantop's tables follow (or that only tune
 * how fail2ban runs commands). Any other (jail.conf's pass2allow-ftp passes
 * blocktype=RETURN, returntype=DROP: a ban there lets the address in) makes
 * the action run from its action.d file.
 */
const NATIVE_ACTION_ARGS = new Set(['name', 'actname', 'port', 'protocol', 'chain', 'chain_hook', 'type', 'bantime',
  'actionstart_on_demand', 'actionrepair_on_unban', 'timeout']);

/** Files a syslog daemon writes (rsyslog's Debian and Red Hat defaults): missing, the system may log to the journal alone. */
const SYSLOG_FILE = /^(?:auth\.log|secure|syslog|messages|daemon\.log|kern\.log|mail\.(?:log|err|warn|info)|maillog)$/;

/** The fail2ban whose config format bantop reads, for `%(fail2ban_version)s`. */
const FAIL2BAN_VERSION = '1.0.2';

/** The filter's options a jail (or DEFAULT) sets for it, as fail2ban's jail reader takes them (failregex and ignoreregex apart). */
const FILTER_OVERRIDES = ['maxlines', 'datepattern', 'prefregex', 'journalmatch'];

export function loadConfig(dir: string, opts: { onlyJails?: string[] } = {}): LoadedConfig {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ConfigError({ file: dir }, 'config directory does not exist', `create it, or pass --config DIR (e.g. --config /etc/fail2ban)`);
  }
  const warnings: string[] = [];
  const missingLogs: MissingLog[] = [];
  const settings = loadSettings(dir);
  if (noDatabase(settings.dbfile)) {
    warnings.push('dbfile = None: no ban database; bans and their history live in memory and end with the daemon ' +
      '(permanent bans come back from the blocklist file); set dbfile to a path to keep them');
  }
  const store = new ConfigStore();
  if (!store.readFamily(dir, 'jail')) {
    throw new ConfigError({ file: join(dir, 'jail.conf') }, 'no jail.conf, jail.local or jail.d/ found', 'copy assets/config/jail.conf as a start');
  }
  // fail2ban's built-in defaults, which its jail.conf refers to (apache-fakegooglebot's ignorecommand path).
  const builtIn = { file: '(built in, as fail2ban)', line: 0 };
  if (store.entry('DEFAULT', 'fail2ban_confpath') === undefined) store.set('DEFAULT', 'fail2ban_confpath', dir, builtIn);
  if (store.entry('DEFAULT', 'fail2ban_version') === undefined) store.set('DEFAULT', 'fail2ban_version', FAIL2BAN_VERSION, builtIn);
  const jails: JailConfig[] = [];
  for (const name of store.sectionNames()) {
    if (name === 'INCLUDES' || name === 'Definition' || name === 'Init') continue;
    if (opts.onlyJails && !opts.onlyJails.includes(name)) continue;
    const enabled = bool(store, name, 'enabled', false);
    if (!enabled) continue;
    jails.push(loadJail(dir, store, name, warnings, missingLogs));
  }
  const esc = store.entry('DEFAULT', 'escalation');
  const escalation = escalationOpt(store.get('DEFAULT', 'escalation'), { file: esc?.file ?? join(dir, 'jail.conf'), line: esc?.line, key: 'escalation' });
  return { dir, settings, jails, escalation, warnings, missingLogs };
}

/**
 * What an operator should hear about the config now: its warnings, and each
 * log file that was missing at load and still is (a daemon's status stops
 * saying a file is missing once it appears).
 */
export function configWarnings(cfg: LoadedConfig, exists: (path: string) => boolean = existsSync): string[] {
  return [...cfg.warnings, ...cfg.missingLogs.filter((m) => !exists(m.path)).map((m) => `jail "${m.jail}": log file ${m.path} does not exist yet; bantop will watch for it`
    // Debian 12 installs no syslog daemon: sshd's lines are in the journal alone, and fail2ban does not start there.
    + (m.journal ? `; if this system logs to the journal alone (no rsyslog), set backend = systemd in [${m.jail}]` : ''))];
}

export function loadSettings(dir: string): Settings {
  const store = new ConfigStore();
  const base = existsSync(join(dir, 'bantop.conf')) || existsSync(join(dir, 'bantop.local')) ? 'bantop' : 'fail2ban';
  store.readFamily(dir, base);
  const raw: Record<string, unknown> = {};
  const file = join(dir, `${base}.conf`);
  for (const key of Object.keys(DEFAULT_SETTINGS) as Array<keyof typeof DEFAULT_SETTINGS>) {
    const entry = store.entry('Definition', key);
    const value = (entry ? store.get('Definition', key) : undefined) ?? DEFAULT_SETTINGS[key];
    const at = { file: entry?.file ?? file, line: entry?.line, key };
    if (key === 'dbpurgeage') raw[key] = duration(value, at);
    else if (key === 'dbmaxmatches') raw[key] = countOpt(value, at);
    else raw[key] = value.trim();
  }
  const settings = parse(SettingsSchema, raw, (path) => {
    const key = String(path[0]);
    const e = store.entry('Definition', key);
    return { file: e?.file ?? file, line: e?.line, key };
  });
  return { ...settings, fleet: readFleetSettings(store, file) };
}

function loadJail(dir: string, store: ConfigStore, name: string, warnings: string[], missingLogs: MissingLog[]): JailConfig {
  const at = (key: string) => {
    const e = store.entry(name, key);
    const origin = store.origin(name);
    return { file: e?.file ?? origin?.file ?? join(dir, 'jail.conf'), line: e?.line ?? origin?.line, key };
  };
  // The filter and the backend first, as fail2ban reads them: its filter's options are then `known/…` to the rest.
  const filterText = store.get(name, 'filter')?.trim() || name;
  const filterRef = parseNameWithArgsAt(filterText, at('filter'));
  const backendRef = parseNameWithArgsAt((store.get(name, 'backend') ?? 'auto').trim(), at('backend'));
  const backend = backendRef.name;
  // fail2ban reads journal entries with the journal's prefix variant of the filter.
  const autoLogtype = backend === 'systemd' ? 'journal' : undefined;
  let filterOwn: ((key: string) => string | undefined) | undefined;
  const known = (key: string) => (filterOwn ??= filterOwnOptions(dir, { name: filterRef.name, args: filterRef.args, where: at('filter'), autoLogtype }))(key);
  const get = (key: string) => store.get(name, key, known);
  const str = (key: string, def: string) => (get(key) ?? def).trim();

  if (backend === 'systemd') {
    try {
      journalSelectArgs(backendRef.args);
    } catch (e) {
      if (e instanceof UserError) throw new ConfigError(at('backend'), `jail "${name}": ${e.message}`, e.hint);
      throw e;
    }
  }
  const usedns = str('usedns', 'warn');

  const jailOverrides: Record<string, string> = {};
  for (const k of FILTER_OVERRIDES) {
    if (store.entry(name, k)) jailOverrides[k] = get(k)!;
  }
  const formula = bantimeFormulaOpt(store.entry(name, 'bantime.formula'), get('bantime.formula'), get('bantime.multipliers'), warnings, name);
  const logtype = store.ownEntry(name, 'logtype');
  if (logtype) {
    warnings.push(`jail "${name}": ${logtype.file}:line ${logtype.line}: logtype is the filter's option, which fail2ban does not take from a jail (nor does bantop): ` +
      `write filter = ${filterRef.name}[logtype=${logtype.value.trim()}]`);
  }
  // A jail's failregex or ignoreregex (or DEFAULT's) replaces its filter's, as in fail2ban, even when empty.
  const regexes = (k: string) => (store.entry(name, k) ? configLines(get(k)) : undefined);
  const filter = resolveFilter(dir, {
    name: filterRef.name,
    args: filterRef.args,
    jailOverrides,
    failregex: regexes('failregex'),
    ignoreregex: regexes('ignoreregex'),
    useDns: usedns !== 'no',
    maxlinelen: countOpt(get('maxlinelen') ?? '10000', at('maxlinelen'), 1),
    where: at('filter'),
    jailAt: at,
    autoLogtype,
  });

  warnings.push(...checkFilterRegexes(name, filter));
  const tz = get('logtimezone')?.trim();
  if (tz) {
    const offset = parseLogTimeZone(tz);
    if (offset === null) {
      throw new ConfigError(at('logtimezone'), `jail "${name}": unknown or unsupported time zone "${tz}"`, LOG_TIME_ZONE_HINT);
    }
    filter.spec.logtimezone = offset;
  }

  const logstart: Record<string, 'head' | 'tail'> = {};
  const logpath = (get('logpath') ?? '').split('\n').map((l) => {
    const m = /^(.*?)\s+(head|tail)$/i.exec(l.trim());
    if (m === null) return l.trim();
    logstart[m[1]!] = m[2]!.toLowerCase() as 'head' | 'tail';
    return m[1]!;
  }).filter(Boolean);
  if (backend !== 'systemd') {
    if (logpath.length === 0) {
      throw new ConfigError(at('logpath'), `jail "${name}" has no logpath`, 'set logpath = /path/to/log, or backend = systemd');
    }
    for (const p of logpath) {
      if (/[*?[]/.test(p)) continue;
      const st = statOf(p);
      if (st === undefined) missingLogs.push({ jail: name, path: p, journal: filter.journalmatch.length > 0 && SYSLOG_FILE.test(basename(p)) });
      else if (!st.isFile()) {
        warnings.push(`jail "${name}": log path ${p} is ${notFileKind(st)}, not a log file: it is not read${st.isDirectory() ? ` (a glob such as ${p}/*.log reads the files in it)` : ''}`);
      }
    }
  }

  const banaction = str('banaction', 'nftables-multiport');
  const actions: Array<NamedWithArgs & { command?: boolean }> = splitActionList(get('action') ?? '').map((a) => parseNameWithArgsAt(a, at('action')));
  for (const a of actions) {
    if (NATIVE_ACTIONS.has(a.name)) {
      const hasFile = existsSync(join(dir, 'action.d', `${a.name}.conf`));
      const changedBy = hasFile ? actionCustomisations(dir, a.name) : [];
      const foreign = hasFile ? Object.keys(a.args).filter((k) => !NATIVE_ACTION_ARGS.has(k)) : [];
      let why = changedBy.length > 0 ? `${changedBy.join(', ')} change${changedBy.length === 1 ? 's' : ''} it`
        : foreign.length > 0 ? `the jail gives it ${foreign.map((k) => `${k}=${a.args[k]!.slice(0, 40)}`).join(', ')}` : null;
      try {
        hookOf(a.name, a.args);
      } catch (e) {
        if (!(e instanceof HookError)) throw e;
        const key = a.name.startsWith('nftables') ? 'chain_hook' : 'chain';
        // fail2ban's nftables action takes any hook (prerouting, output …); its own commands do what bantop's table does not.
        if (key !== 'chain_hook' || !hasFile) throw new ConfigError(get(key) !== undefined ? at(key) : at('action'), `jail "${name}": ${e.message}`, e.hint);
        why = e.message;
      }
      if (why !== null) {
        a.command = true;
        warnings.push(`jail "${name}": action ${a.name} runs action.d/${a.name}.conf as fail2ban runs it, not bantop's own table: ${why} ` +
          `(bantop's table reads only the action's port, protocol, chain and chain_hook)`);
      }
      continue;
    }
    if (a.name.endsWith('.py')) {
      // fail2ban imports these into its own Python server; bantop runs command actions (.conf) only.
      throw new ConfigError(at('action'), `jail "${name}": action "${a.name}" is a Python action, which fail2ban runs inside its own server; bantop cannot run it`,
        `use a command action instead (for smtp.py: sendmail-whois or mail-whois with dest=…), or bantop's report action for abuse reports`);
    }
    if (!existsSync(join(dir, 'action.d', `${a.name}.conf`)) && !existsSync(join(dir, 'action.d', `${a.name}.local`))) {
      throw new ConfigError(at('action'), `jail "${name}": action "${a.name}" not found in ${join(dir, 'action.d')}`,
        'check the action name, or set banaction to one bantop knows (nftables-multiport, iptables-multiport, hostsdeny, …)');
    }
  }

  const reportRef = actions.find((a) => a.name === 'report');
  const report = reportRef ? reportSettings(reportRef.args, at('action'), name) : null;

  const ignoreip = (get('ignoreip') ?? '').split(/[\s,]+/).filter(Boolean);
  for (const ip of ignoreip) {
    if (parseCidr(ip) === null && !/^[a-zA-Z0-9][\w.\-]*$/.test(ip)) {
      throw new ConfigError(at('ignoreip'), `"${ip}" is not an address, CIDR or host name`);
    }
  }

  const raw = {
    name,
    enabled: true,
    filterName: filterRef.name,
    filterArgs: filter.args,
    logpath,
    logstart,
    backend,
    backendArgs: backendRef.args,
    journalmatch: filter.journalmatch,
    maxretry: countOpt(str('maxretry', '5'), at('maxretry')),
    findtime: duration(str('findtime', '10m'), at('findtime')),
    bantime: duration(str('bantime', '10m'), at('bantime')),
    bantimeIncrement: {
      enabled: bool(store, name, 'bantime.increment', false),
      factor: bantimeFactorOpt(str('bantime.factor', '1'), at('bantime.factor')),
      multipliers: str('bantime.multipliers', '').split(/\s+/).filter(Boolean).map((m) => countOpt(m, at('bantime.multipliers'))),
      maxtime: get('bantime.maxtime')?.trim() ? duration(str('bantime.maxtime', '0'), at('bantime.maxtime')) : 0,
      rndtime: get('bantime.rndtime')?.trim() ? duration(str('bantime.rndtime', '0'), at('bantime.rndtime')) : 0,
      overalljails: bool(store, name, 'bantime.overalljails', false),
      ...(formula === undefined ? {} : { formula }),
    },
    escalation: escalationOpt(get('escalation'), at('escalation')),
    ignoreip,
    ignoreself: bool(store, name, 'ignoreself', true),
    ignorecommand: (get('ignorecommand') ?? '').trim(),
    ignorecache: ignoreCacheOpt(get('ignorecache'), at('ignorecache'), warnings, name),
    logencoding: logEncodingOpt(str('logencoding', 'auto'), at('logencoding'), name),
    maxmatches: countOpt(get('maxmatches')?.trim() || str('maxretry', '5'), at('maxmatches')),
    usedns,
    port: str('port', '0:65535'),
    protocol: str('protocol', 'tcp'),
    banaction,
    actions,
  };
  try {
    parsePorts(raw.port);
  } catch (e) {
    if (e instanceof PortError) throw new ConfigError(at('port'), `jail "${name}": ${e.message}`);
    throw e;
  }
  try {
    parseProtocol(raw.protocol);
  } catch (e) {
    if (e instanceof PortError) throw new ConfigError(at('protocol'), `jail "${name}": ${e.message}`);
    throw e;
  }
  const jail = parse(JailSchema, raw, (path) => at(String(path[0])));
  return { ...jail, filter: filter.spec, filterFile: filter.file, report };
}

function bool(store: ConfigStore, section: string, key: string, def: boolean): boolean {
  const v = store.get(section, key)?.trim().toLowerCase();
  if (v === undefined || v === '') return def;
  if (['true', 'yes', 'on', '1', 'enabled'].includes(v)) return true;
  if (['false', 'no', 'off', '0', 'disabled'].includes(v)) return false;
  const e = store.entry(section, key);
  throw new ConfigError({ file: e?.file ?? section, line: e?.line, key }, `"${v}" is not a boolean (use true or false)`);
}

function duration(text: string, at: { file: string; line?: number | undefined; key: string }): number {
  try {
    return parseDuration(text);
  } catch (e) {
    if (e instanceof DurationError) throw new ConfigError(at, e.message);
    throw e;
  }
}

const ReportArgsSchema = z.object({
  url: z.url({ protocol: /^https?$/, message: 'url must be an http:// or https:// URL' }).default(DEFAULT_REPORT.url),
  key: z.string().min(1, 'the report action needs key=<API key>'),
  categories: z.string().regex(/^\d+(?:,\d+)*$/, 'categories is a comma-separated list of numbers').default(DEFAULT_REPORT.categories),
  comment: z.string().max(1024).default(DEFAULT_REPORT.comment),
  rate: z.coerce.number().int().positive('rate is reports per minute, a positive number').default(DEFAULT_REPORT.rate),
  attempts: z.coerce.number().int().min(1).max(20).default(DEFAULT_REPORT.attempts),
}).strict();

function reportSettings(args: Record<string, string>, at: { file: string; line?: number | undefined; key: string }, jail: string): ReportSettings {
  const r = ReportArgsSchema.safeParse(args);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.length ? String(issue.path[0]) : (issue as { keys?: string[] }).keys?.join(', ') ?? '';
  throw new ConfigError(at, `jail "${jail}": report[${field}]: ${issue.message}`, 'report takes url, key, categories, comment, rate and attempts');
}

function escalationOpt(text: string | undefined, at: { file: string; line?: number | undefined; key: string }): EscalationRule[] {
  if (text === undefined) return [...DEFAULT_ESCALATION];
  try {
    return parseEscalation(text);
  } catch (e) {
    if (e instanceof DurationError) throw new ConfigError(at, e.message);
    throw e;
  }
}

/**
 * A count, where fail2ban reads the value with Python's int()
 * (util/whole-number.ts), so that "10x", "2.5" or "1e3" is an error, not a
 * guess. The range is the schema's (model.ts), or `min` for a value no
 * schema checks.
 */
function countOpt(text: string, at: { file: string; line?: number | undefined; key: string }, min?: number): number {
  const n = wholeNumber(text);
  // The range is not known here (maxretry needs 1 or more, maxmatches 0 or more): the hint names none.
  if (n === null) throw new ConfigError(at, `"${text.trim()}" is not a whole number`, 'write it in digits, as fail2ban reads it: 5, not 5.0, 5e0 or 0x5');
  if (min !== undefined && n < min) throw new ConfigError(at, `"${text.trim()}" is below ${min}`, `give a count, ${min} or more`);
  return n;
}

/**
 * `bantime.formula`, a Python expression that fail2ban compiles when the jail
 * starts (and uses only without bantime.multipliers). Text that is no Python
 * expression is a config error, as fail2ban refuses it; a Python expression
 * outside what bantop evaluates (config/py-expression.ts) is a warning, and
 * the jail's ban times grow by fail2ban's default formula.
 */
function bantimeFormulaOpt(entry: { file: string; line: number } | undefined, value: string | undefined, multipliers: string | undefined, warnings: string[], jail: string): string | undefined {
  const text = value?.trim();
  if (!entry || !text || multipliers?.trim()) return undefined;
  try {
    compileBantimeFormula(text);
    return text;
  } catch (e) {
    if (!(e instanceof PyExpressionError)) throw e;
    const at = { file: entry.file, line: entry.line, key: 'bantime.formula' };
    if (e instanceof PySyntaxError) throw new ConfigError(at, `jail "${jail}": not a Python expression: ${e.message}`, 'write it as fail2ban documents it, e.g. ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor');
    warnings.push(`jail "${jail}": ${entry.file}:line ${entry.line}: bantime.formula: ${e.message}; bantop evaluates arithmetic, comparisons, ` +
      `x if c else y, ban.Time, ban.Count, banFactor, math.*, random.random() and int/float/min/max/abs/round/pow: its ban times grow by ` +
      `fail2ban's default formula (bantime × 2^count × bantime.factor)`);
    return undefined;
  }
}

/** `bantime.factor`: fail2ban evaluates it as Python too (jail.conf's example: 2.0 / 2.885385). */
function bantimeFactorOpt(text: string, at: { file: string; line?: number | undefined; key: string }): number {
  let v: number;
  try {
    v = evaluateBantimeFactor(text.trim());
  } catch (e) {
    if (!(e instanceof PyExpressionError)) throw e;
    throw new ConfigError(at, `"${text.trim()}" is not a number or an arithmetic expression: ${e.message}`, 'write a number, e.g. 1 or 2.0 / 2.885385');
  }
  if (!Number.isFinite(v) || v <= 0) throw new ConfigError(at, `"${text.trim()}" is ${v}: the factor must be above 0`);
  return v;
}

function parse<T extends z.ZodType>(schema: T, raw: unknown, where: (path: PropertyKey[]) => { file: string; line?: number | undefined; key: string }): z.infer<T> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new ConfigError(where(issue.path), `${issue.message}${issue.path.length > 1 ? ` (${issue.path.join('.')})` : ''}`);
}

/**
 * `ignorecache = key="<ip>", max-count=100, max-time=5m`, fail2ban's cache of
 * ignorecommand answers. bantop keys it by address; another key is read as
 * `<ip>`, with a warning.
 */
function ignoreCacheOpt(text: string | undefined, where: ConfigLocation & { key: string }, warnings: string[], jail: string): { maxTimeMs: number; maxCount: number } | null {
  if (text === undefined || text.trim() === '') return null;
  const opts = new Map<string, string>();
  for (const part of text.match(/(?:[^,"']|"[^"]*"|'[^']*')+/g) ?? []) {
    const m = /^\s*([\w-]+)\s*=\s*(.*?)\s*$/.exec(part);
    if (!m) throw new ConfigError(where, `"${part.trim()}" is not an option (key="<ip>", max-count=N, max-time=DURATION)`);
    opts.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2'));
  }
  for (const k of opts.keys()) {
    if (!['key', 'max-count', 'max-time'].includes(k)) throw new ConfigError(where, `unknown ignorecache option "${k}"`, 'ignorecache takes key, max-count and max-time');
  }
  const key = opts.get('key');
  if (key === undefined) throw new ConfigError(where, 'ignorecache needs a key', 'write ignorecache = key="<ip>", max-time=5m');
  const unknown = unknownCacheKeyTags(key);
  if (unknown.length > 0) {
    warnings.push(`jail "${jail}": ignorecache key "${key}": ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a failure's tag, kept as written ` +
      `(a failure has <ip>, <fid>, <family> and the filter's <F-…> captures)`);
  }
  return {
    maxCount: countOpt(opts.get('max-count') ?? '100', where),
    maxTimeMs: duration(opts.get('max-time') ?? '300', where) * 1000,
    ...(key === '<ip>' ? {} : { key }),
  };
}

/** `logencoding`, checked here: the tailer decodes with it (source/log-encoding.ts). */
function logEncodingOpt(text: string, where: ConfigLocation & { key: string }, jail: string): string {
  if (lineDecoder(text) === undefined) {
    throw new ConfigError(where, `jail "${jail}": log encoding "${text.trim()}" is not one bantop can read`, LOG_ENCODING_HINT);
  }
  return text.trim();
}
