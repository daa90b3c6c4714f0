import { RegexTranslationError, UserError } from '../util/errors.js';
import { budgetedRegExp } from '../util/regex-budget.js';
import { zoneOffsetMinutes } from './zone-abbreviations.js';
import { translatePythonRegex } from './pyregex.js';

/**
 * Finding and reading the timestamp of a log line, the way fail2ban's date
 * detector does: a list of templates (fail2ban's default formats, or the
 * filter's `datepattern`), the one that matched last tried first, the date
 * cut out of the line before the failregex runs.
 */

/**
 * Line-start anchor as fail2ban defines {^LN-BEG}: up to two non-word characters
 * may lead. Written with a plain `^` (not lookbehinds) so V8 gives up after
 * position 0 instead of retrying the template at every offset of the line.
 */
const LN_BEG = String.raw`^\W{0,2}`;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

// strftime directives -> Python regex with named groups; group names drive the reader below.
const DIRECTIVES: Record<string, string> = {
  Y: String.raw`(?P<Y>\d{4})`,
  ExY: String.raw`(?P<Y>(?:19|20|21)\d{2})`,
  y: String.raw`(?P<y>\d{2})`,
  Exy: String.raw`(?P<y>\d{2})`,
  m: String.raw`(?P<m>1[0-2]|0?[1-9])`,
  Exm: String.raw`(?P<m>1[0-2]|0[1-9])`,
  d: String.raw`(?P<d>3[01]|[12]\d|0?[1-9]| [1-9])`,
  Exd: String.raw`(?P<d>3[01]|[12]\d|0[1-9])`,
  H: String.raw`(?P<H>2[0-3]|[01]?\d)`,
  ExH: String.raw`(?P<H>2[0-3]|[01]\d)`,
  k: String.raw`(?P<H>2[0-3]|[01]?\d| \d)`,
  I: String.raw`(?P<I>1[0-2]|0?[1-9])`,
  l: String.raw`(?P<I>1[0-2]|0?[1-9]| [1-9])`,
  M: String.raw`(?P<M>[0-5]\d)`,
  ExM: String.raw`(?P<M>[0-5]\d)`,
  S: String.raw`(?P<S>[0-5]\d|6[01])`,
  ExS: String.raw`(?P<S>[0-5]\d|6[01])`,
  f: String.raw`(?P<f>\d+)`,
  z: String.raw`(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?)`,
  Z: String.raw`(?P<Z>Z|[A-Z]{3,5})`,
  // fail2ban's extended forms: any abbreviation of the zone table, alone or before an offset.
  ExZ: String.raw`(?P<Z>[A-Z](?:[A-Z]{2,4})?)`,
  Exz: String.raw`(?P<z>(?:[A-Z](?:[A-Z]{2,4})?)?[+-][01]\d(?::?\d{2})?|[A-Z](?:[A-Z]{2,4})?)`,
  b: String.raw`(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)`,
  B: String.raw`(?P<b>january|february|march|april|may|june|july|august|september|october|november|december)`,
  a: String.raw`(?P<a>mon|tue|wed|thu|fri|sat|sun)`,
  A: String.raw`(?P<a>monday|tuesday|wednesday|thursday|friday|saturday|sunday)`,
  p: String.raw`(?P<p>am|pm)`,
  j: String.raw`(?P<j>36[0-6]|3[0-5]\d|[12]\d\d|0?[1-9]\d|0{0,2}[1-9])`,
  s: String.raw`(?P<epoch>\d{10})`,
  '%': '%',
};

/** A format that places itself at the start of the line. */
const LINE_START_MARK = /^(?:\{\^LN-BEG\}|\^)/;

/** fail2ban's default date formats (the formats are facts of the log world; the regex text is ours). */
const DEFAULT_FORMATS = [
  String.raw`%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?`,
  String.raw`(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`,
  String.raw`(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?`,
  String.raw`%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S`,
  String.raw`%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?`,
  String.raw`%m/%d/%ExY:%H:%M:%S`,
  String.raw`%m-%d-%ExY %k:%M:%S(?:\.%f)?`,
  'EPOCH',
  String.raw`{^LN-BEG}%H:%M:%S`,
  String.raw`^<%m/%d/%Exy@%H:%M:%S>`,
  String.raw`%Exy%Exm%Exd  ?%H:%M:%S`,
  String.raw`%b %d, %ExY %I:%M:%S %p`,
  String.raw`^%b-%d-%Exy %k:%M:%S`,
  String.raw`%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\s*%z)?`,
  String.raw`(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`,
  String.raw`(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`,
  'TAI64N',
];

/**
 * Seconds since the epoch as fail2ban reads them: 10 or 11 digits and a
 * fraction, at the start of the line, inside a `[` that starts it, or in an
 * audit record's `audit(`; LEPOCH also takes milliseconds or microseconds
 * (13 or 16 digits, readDate() tells them apart). A tag's line-start form
 * ({^LN-BEG}, `^`) finds them after up to two non-word characters instead.
 */
const EPOCH_DIGITS = String.raw`(?P<epoch>\d{10,11})\b(?:\.(?P<f>\d{3,6}))?`;
const LEPOCH_DIGITS = String.raw`(?P<lepoch>\d{10,11}(?:\d{3}(?:\.\d{1,6}|\d{3})?)?)`;
const EPOCH_PLACE = String.raw`(?:^|(?<=^\[)|(?<=\baudit\())`;
const WORD_END = String.raw`(?=\b|\W|$)`;
/** A TAI64N label: lower-case hex only, as fail2ban reads it (its template is not read in any case). */
const TAI64N_RE = String.raw`@(?P<tai>[0-9a-f]{24})` + WORD_END;
/** The regex of an EPOCH, LEPOCH or TAI64N datepattern; `atStart`: its {^LN-BEG} form. */
function tagBody(tag: 'EPOCH' | 'LEPOCH' | 'TAI64N', atStart: boolean): string {
  if (tag === 'TAI64N') return TAI64N_RE;
  const digits = tag === 'EPOCH' ? EPOCH_DIGITS : LEPOCH_DIGITS;
  return (atStart ? '' : EPOCH_PLACE) + digits + WORD_END;
}
/** A datepattern that is one of these names, or `^` and one of them (fail2ban's other spelling of its {^LN-BEG} form). */
function tagOf(pattern: string): 'EPOCH' | 'LEPOCH' | 'TAI64N' | undefined {
  return /^\^?(EPOCH|LEPOCH|TAI64N)$/i.exec(pattern)?.[1]?.toUpperCase() as 'EPOCH' | 'LEPOCH' | 'TAI64N' | undefined;
}
/** `{EPOCH}` or `{LEPOCH}` inside a datepattern of the operator's: the seconds there. */
const EPOCH_TAG = /(?<!\\)\{(L?)EPOCH\}/gi;
/** A directive that names something (%a %A %b %B %p %c): fail2ban then reads the whole pattern in any case. */
const NAMES_DIRECTIVE = /(?<!%)%[aAbBpc]/;
/** `{DATE}` inside a datepattern: each of fail2ban's default formats there in turn. */
const DATE_TAG = /(?<!\\)\{DATE\}/gi;

interface BuiltTemplate {
  regex: RegExp;
  probe: RegExp;
  groups: Record<string, number>;
  fields: FieldIndex;
  dateGroup: number;
}

/**
 * One date format, its regexes built when it is first tried. A filter with
 * fail2ban's default formats has 17 of them, and a log meets one or two:
 * building them all (two translations and two RegExps each) took about 10
 * ms of every `bantop regex` thread's start, before its first line.
 */
export class DateTemplate {
  private built: BuiltTemplate | undefined;
  /** The last date read with this template (dateMatchToTime): its text, the `now` it was read for, and the time (NaN: none). */
  private memo: { text: string; now: number; zone: number | undefined; time: number } = { text: '', now: Number.NaN, zone: undefined, time: Number.NaN };

  /**
   * `span`: where the date sits in the template's match (see Span); `body`:
   * the template's regex, Python syntax; `builtIn`: one of fail2ban's default
   * formats, as bantop writes them (tested, so not checked in each run).
   */
  constructor(readonly name: string, readonly span: Span, private readonly body: string, readonly builtIn = false, private readonly caseless = false,
    /** The format as fail2ban-regex names it (formatLabel()). */
    readonly label = name) {}

  private get b(): BuiltTemplate {
    return this.built ?? (this.built = this.named(() => buildTemplate(this.body, this.caseless)));
  }

  /** Builds the regexes now (a bad pattern throws here). */
  prepare(): this {
    void this.b;
    return this;
  }

  /**
   * Translates the regex without building it: a bad pattern throws as
   * prepare() would, and V8's regex flag stays as it is (util/regex-budget.ts).
   */
  check(): void {
    this.named(() => translatePythonRegex(this.body));
  }

  /** A translation error told in the operator's pattern, not in the regex it expands to. */
  private named<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof RegexTranslationError)) throw e;
      throw new DatePatternError(this.name, e.problem.replace(/ at position \d+$/, ''), 'fix the regex around the date (Python syntax, as in fail2ban)');
    }
  }

  get regex(): RegExp {
    return this.b.regex;
  }

  /** The same pattern, sticky and (where it can be) without captures: tries position 0 only, and test() leaves the end in lastIndex. */
  get probe(): RegExp {
    return this.b.probe;
  }

  /** JS group index of each field name. */
  get groups(): Record<string, number> {
    return this.b.groups;
  }

  /** The same indices for the fields readDate() reads, -1 where absent. */
  get fields(): FieldIndex {
    return this.b.fields;
  }

  /** Group index of the part of the line that is the date (cut out before the failregex). */
  get dateGroup(): number {
    return this.b.dateGroup;
  }

  /**
   * The time of a date this template found (NaN: not a valid date). Log
   * lines come in bursts that share a timestamp: a date with the text the
   * last one read had, for a `now` within the hour, is not read again.
   */
  read(dm: DateMatch, now: number, zone?: number): number {
    const memo = this.memo;
    const len = dm.matchEnd - dm.index;
    if (Math.abs(memo.now - now) < 3_600_000 && memo.zone === zone && len === memo.text.length && dm.line.lastIndexOf(memo.text, dm.index) === dm.index) return memo.time;
    const t = readDate(dm.groups(), this.fields, now, zone);
    this.memo = { text: dm.text, now, zone, time: t ?? Number.NaN };
    return this.memo.time;
  }
}

/**
 * Where the date region sits in a template's match: `Whole`, it is the whole
 * match; `LineStart`, it is the match but for the up to two non-word
 * characters {^LN-BEG} lets lead (none when the line starts with a word
 * character); `Inner`, a group inside it, found only by capturing.
 */
export const Span = { Whole: 0, LineStart: 1, Inner: 2 } as const;
export type Span = (typeof Span)[keyof typeof Span];

/**
 * A date found in a line. Its fields are read only when the time is asked
 * for: most lines' dates are only cut out (a failure that is only counted
 * needs no time), so finding one runs the template's probe, which captures
 * nothing (see DateDetector.find).
 */
export class DateMatch {
  constructor(
    readonly template: DateTemplate,
    /** The line it was found in. */
    readonly line: string,
    /** The template's whole match: [index, matchEnd) of the line. */
    readonly index: number,
    readonly matchEnd: number,
    /** The date region, cut out of the line before the failregexes run. */
    readonly start: number,
    readonly end: number,
    /** The template's match with its groups, when it was found by one. */
    public m: RegExpExecArray | null,
  ) {}

  /** The template's match with its groups (run again on the line when the probe found it). */
  groups(): RegExpExecArray {
    if (this.m !== null) return this.m;
    const re = this.template.regex;
    re.lastIndex = 0;
    // The probe matched at `index`, where the template's own (unanchored) search finds its first match.
    this.m = re.exec(this.line)!;
    return this.m;
  }

  /** The whole match's text. */
  get text(): string {
    return this.m !== null ? this.m[0] : this.line.slice(this.index, this.matchEnd);
  }
}

/** A pattern that places its own start (fail2ban: a leading `^`, `**`, `(^` or `(?:^`, after global flags). */
const NO_WORD_BOUND_BEGIN = /^\(*(?:\(\?\w+\))?(?:\^|\(*\*\*|\((?:\?:)?\^)/;
/** …and its end: `$`, `\b`, `\s` or `**` (then closing parentheses). */
const NO_WORD_BOUND_END = /(?<!\\)(?:\$\)?|\\b|\\s|\*\*\)*)$/;
const STARS_BEGIN = /^\(*(?:\(\?\w+\))?\(*\*\*/;
const STARS_END = /(?<!\\)\*\*\)*$/;

/** A datepattern bantop cannot use; fail2ban refuses these too ("Failed to set datepattern"). */
export class DatePatternError extends UserError {
  constructor(readonly pattern: string, readonly problem: string, hint: string) {
    super(`datepattern "${pattern}": ${problem}`, { hint });
    this.name = 'DatePatternError';
  }
}

const KNOWN_DIRECTIVES = Object.keys(DIRECTIVES).filter((d) => !d.startsWith('Ex') && d !== '%').map((d) => `%${d}`).join(' ');
/** strptime's directives that fail2ban accepts and bantop refuses: no filter of fail2ban's uses them. */
const UNREAD_DIRECTIVES = ['U', 'W', 'w', 'u', 'V', 'G', 'c', 'x', 'X'];
const KNOWN_EX = Object.keys(DIRECTIVES).filter((d) => d.startsWith('Ex')).map((d) => d.slice(2)).join(' ');

function expandDirectives(fmt: string, pattern: string): string {
  return fmt.replace(/%(Ex[A-Za-z]|[A-Za-z%])|%(.|$)/g, (whole, d: string | undefined) => {
    const r = d === undefined ? undefined : DIRECTIVES[d];
    if (r === undefined) {
      const problem = whole === '%' ? 'a lone "%" at the end'
        : d !== undefined && UNREAD_DIRECTIVES.includes(d) ? `date directive ${whole} is not read by bantop (weeks, week days and the locale's formats are not)`
          : `unknown date directive ${whole}`;
      throw new DatePatternError(pattern, problem, `bantop reads ${KNOWN_DIRECTIVES}, and %Ex with ${KNOWN_EX}; a literal percent sign is %% (%%%% in a .conf file)`);
    }
    return r;
  });
}

/**
 * Build one template from a fail2ban datepattern (one line of it). A
 * filter's own pattern is built at once, so that a bad one is reported when
 * the filter loads; bantop's defaults (`lazy`) when first tried. `shownAs`:
 * the line as the operator wrote it, for errors (a `{DATE}` line is built as
 * one template for each default format).
 */
export function compileDatePattern(pattern: string, defaultBoundaries = false, lazy = false, shownAs = pattern): DateTemplate[] {
  let p = pattern.trim();
  let anchored = false;
  if (p.startsWith('{^LN-BEG}')) {
    anchored = true;
    p = p.slice('{^LN-BEG}'.length);
  }
  const unbound = p.includes('{UNB}');
  p = p.replace(/\{UNB\}/g, '');
  if (p === '') {
    if (anchored) return DEFAULT_FORMATS.flatMap((f) => compileDatePattern(`{^LN-BEG}${f.replace(LINE_START_MARK, '')}`, true, true));
    // No datepattern: fail2ban tries each format at the start of the line first, then anywhere, so that a date
    // in the message (a user name of an attacker's choosing, say) never wins over the line's own.
    return [...DEFAULT_FORMATS.filter((f) => !LINE_START_MARK.test(f)).flatMap((f) => compileDatePattern(`{^LN-BEG}${f}`, true, true)),
      ...DEFAULT_FORMATS.flatMap((f) => compileDatePattern(f, true, true))];
  }
  if (p.search(DATE_TAG) >= 0) return DEFAULT_FORMATS.flatMap((f) => dateTagTemplates(f, p, anchored, unbound, lazy, shownAs));
  const tag = tagOf(p);
  if (tag !== undefined && p.startsWith('^')) anchored = true;
  const epochIn = tag === undefined && p.search(EPOCH_TAG) >= 0;
  let body: string;
  if (tag !== undefined) body = tagBody(tag, anchored);
  else if (p.toUpperCase() === 'ISO8601') body = expandDirectives(String.raw`%ExY-%Exm-%ExdT%ExH:%ExM:%ExS(?:[.,]%f)?(?:\s*%z)?`, shownAs);
  // fail2ban reads such a pattern as a regex around the seconds, without date directives.
  else if (epochIn) body = p.replace(EPOCH_TAG, (_, long: string) => (long === '' ? EPOCH_DIGITS : LEPOCH_DIGITS));
  else body = expandDirectives(p, shownAs);
  // A filter's own pattern is kept off the middle of a word at either end, as fail2ban keeps it, unless it
  // says where it stands itself (`^`, `$`, `\b`, `\s`), asks not to be (`**` at that end, {UNB}), or is
  // anchored ({^LN-BEG}). `**` is fail2ban's marker, no regex: it goes.
  let before = '';
  let after = '';
  if (!defaultBoundaries && tag === undefined) {
    if (!unbound && !anchored && !NO_WORD_BOUND_BEGIN.test(body)) before = String.raw`(?=^|\b|\W)`;
    if (!unbound && !NO_WORD_BOUND_END.test(body)) after = String.raw`(?=\b|\W|$)`;
    body = body.replace(STARS_BEGIN, (m) => m.replace('**', '')).replace(STARS_END, (m) => m.replace('**', ''));
  }
  // The date region is the pattern's first plain capturing group if it has one, else the whole match (always
  // the whole match around `{EPOCH}`, as fail2ban cuts it).
  const plainGroup = epochIn ? null : /(?<!\\)\((?!\?)/.exec(body);
  if (plainGroup) body = body.slice(0, plainGroup.index) + '(?P<_date>' + body.slice(plainGroup.index + 1);
  else body = `(?P<_date>${body})`;
  body = before + body + after;
  if (anchored) body = LN_BEG + body;
  // (Not TAI64N's: fail2ban finds its `@` after a word too.)
  else if (defaultBoundaries && tag === undefined && !body.startsWith('(?P<_date>^') && !body.startsWith('(?P<_date>(?:^')) {
    // Lookarounds: the match is still the date group alone.
    body = String.raw`(?<!\w)` + body + String.raw`(?!\w)`;
  }
  const span = plainGroup ? Span.Inner : anchored ? Span.LineStart : Span.Whole;
  // fail2ban reads a pattern in any case only where it names months, days or AM/PM (its `(?iu)`): elsewhere
  // `2026-11-20t01:00:00` or an upper-case TAI64N label is no date.
  const caseless = tag === undefined && !epochIn && NAMES_DIRECTIVE.test(p);
  const template = new DateTemplate(shownAs, span, body, defaultBoundaries, caseless, formatLabel(p, tag, epochIn, anchored && !unbound));
  if (!lazy) template.prepare();
  return [template];
}

/**
 * The templates a datepattern with `{DATE}` in it (the rest of it: `rest`)
 * makes of default format `f`: the pattern with the format in its place, as
 * fail2ban builds it. EPOCH and TAI64N are no patterns: fail2ban puts their
 * names in the pattern's place and reads the result as a date only when
 * nothing else is left of it (`{DATE}`, `{^LN-BEG}{DATE}`, `^{DATE}`); around
 * other text, the name is a regex for its own letters, which no log holds.
 */
function dateTagTemplates(f: string, rest: string, anchored: boolean, unbound: boolean, lazy: boolean, shownAs: string): DateTemplate[] {
  if (f === 'EPOCH' || f === 'TAI64N') {
    const alone = rest.replace(DATE_TAG, () => f);
    if (unbound || tagOf(alone) !== f) return [];
    return compileDatePattern(anchored ? `{^LN-BEG}${alone}` : alone, false, lazy, shownAs);
  }
  const wrapped = rest.replace(DATE_TAG, () => f.replace(/^\{\^LN-BEG\}/, ''));
  return compileDatePattern((anchored ? '{^LN-BEG}' : '') + (unbound ? '{UNB}' : '') + wrapped, false, lazy, shownAs);
}

/**
 * A format as fail2ban names it: its directives by name (`%b` MON, `%ExY`
 * ExYear, `%k` as it is), `{^LN-BEG}` before one kept to the line's start
 * that does not place itself; Epoch, LongEpoch, TAI64N; a pattern around
 * `{EPOCH}` as written.
 */
function formatLabel(p: string, tag: 'EPOCH' | 'LEPOCH' | 'TAI64N' | undefined, epochIn: boolean, lineStart: boolean): string {
  const atStart = (name: string) => (lineStart ? `{^LN-BEG}${name}` : name);
  if (tag !== undefined) return atStart(TAG_LABELS[tag]);
  if (epochIn) return p;
  const named = p.replace(/%(Ex[A-Za-z]|[A-Za-z%])/g, (m, k: string) => {
    if (!k.startsWith('Ex')) return DIRECTIVE_LABELS[k] ?? m;
    const plain = DIRECTIVE_LABELS[k.slice(2)];
    return plain === undefined ? m : `Ex${plain}`;
  });
  return NO_WORD_BOUND_BEGIN.test(p) ? named : atStart(named);
}

const TAG_LABELS = { EPOCH: 'Epoch', LEPOCH: 'LongEpoch', TAI64N: 'TAI64N' } as const;
/** fail2ban's names of the directives (the rest, such as %k, keep their own). */
const DIRECTIVE_LABELS: Record<string, string> = {
  a: 'DAY', A: 'DAYNAME', b: 'MON', B: 'MONTH', d: 'Day', H: '24hour', I: '12hour', j: 'Yearday', m: 'Month', M: 'Minute', p: 'AMPM',
  S: 'Second', U: 'Yearweek', w: 'Weekday', W: 'Yearweek', y: 'Year2', Y: 'Year', '%': '%', z: 'Zone offset', f: 'Microseconds', Z: 'Zone name',
};

/**
 * Checks a filter's datepattern line as compileDatePattern() would build it,
 * without building a RegExp (util/regex-budget.ts): throws a DatePatternError.
 */
export function checkDatePattern(pattern: string): void {
  // fail2ban's defaults (`{^LN-BEG}` alone, as common.conf has it) are built when first tried: translating
  // their 17 formats here took 17 ms of the first thread's start.
  for (const t of compileDatePattern(pattern, false, true)) if (!t.builtIn) t.check();
}

/** `caseless`: matched in any case (month and day names are written so in logs: NOV, nov, Nov). */
function buildTemplate(body: string, caseless: boolean): BuiltTemplate {
  const t = translatePythonRegex(body);
  const groups: Record<string, number> = {};
  for (const [name, idx] of t.names) groups[name] = idx[0]!;
  const flags = !caseless || t.flags.includes('i') ? t.flags : t.flags + 'i';
  const at = (n: string) => groups[n] ?? -1;
  const fields: FieldIndex = { Y: at('Y'), y: at('y'), m: at('m'), b: at('b'), d: at('d'), H: at('H'), I: at('I'), p: at('p'),
    M: at('M'), S: at('S'), f: at('f'), z: at('z'), Z: at('Z'), epoch: at('epoch'), lepoch: at('lepoch'), tai: at('tai') };
  return { regex: budgetedRegExp(t.source, flags), probe: budgetedRegExp(probeSource(body, t.source), flags + 'y'), groups, fields, dateGroup: groups['_date']! };
}

/**
 * The probe only says where a match ends: without capturing groups it runs
 * in about two thirds of the time (measured on syslog lines, 43 against 65
 * ns), and it runs on most lines. A pattern with a back-reference keeps them.
 */
function probeSource(body: string, capturing: string): string {
  try {
    return translatePythonRegex(body, { capture: false }).source;
  } catch {
    return capturing;
  }
}

export class DateDetector {
  private readonly templates: DateTemplate[];
  /** The place in `templates` of the one that matched last (-1: none yet). */
  private lastAt = -1;
  /** Where in the line that template's match began (0: at its start, where its probe can tell at once). */
  private lastIndex = -1;
  /** Lines each template read, at [base + its place] (countInto()). */
  private hits: number[];
  private base = 0;
  private prev: DateMatch | null = null;

  /** `patterns`: the filter's datepattern lines; empty means fail2ban's defaults. */
  constructor(patterns: string[] = [], templates?: DateTemplate[]) {
    const list = patterns.map((p) => p.trim()).filter((p) => p !== '');
    this.templates = templates ?? (list.length === 0 ? compileDatePattern('') : list.flatMap((p) => compileDatePattern(p)));
    this.hits = this.templates.map(() => 0);
  }

  /** Counts the lines each template reads into `hits` from `base` on, in the order of `labels` (a filter's hits). */
  countInto(hits: number[], base: number): void {
    this.hits = hits;
    this.base = base;
  }

  /** The templates as fail2ban-regex names them in its "Date template hits", in the order countInto() counts them. */
  get labels(): string[] {
    return this.templates.map((t) => t.label);
  }

  /** How many templates it tries (none for `{NONE}`). */
  get size(): number {
    return this.templates.length;
  }

  /** A detector with the same templates and no history. */
  fresh(): DateDetector {
    return new DateDetector([], this.templates);
  }

  /**
   * Tries first what `other` (a detector with the same templates) tries
   * first, as if it had read `other`'s lines: its state (below) becomes
   * `other`'s. For a filter that starts where another left off.
   */
  tryFirstLike(other: DateDetector): void {
    if (other.templates !== this.templates) throw new Error('DateDetector.tryFirstLike: not the same templates');
    this.lastAt = other.lastAt;
    this.lastIndex = other.lastIndex;
  }

  /** Which template is tried first, and where it matched: the only part of the detector's history that can change a result. */
  get state(): [template: number, at: number] {
    return [this.lastAt, this.lastIndex];
  }

  /** `{NONE}`: the filter says its lines carry no date. */
  static none(): DateDetector {
    const d = new DateDetector(['{^LN-BEG}']);
    d.templates.length = 0;
    return d;
  }

  find(line: string): DateMatch | null {
    // The template that matched last is tried first (search()); where its match began the line, its probe
    // says at once whether it matches there again and where the match ends, without building a match.
    if (this.lastIndex === 0) {
      const t = this.templates[this.lastAt]!;
      const probe = t.probe;
      probe.lastIndex = 0;
      if (probe.test(line)) {
        const end = probe.lastIndex;
        const span = t.span;
        if (span === Span.Whole || (span === Span.LineStart && isWordChar(line.charCodeAt(0)))) {
          this.hits[this.base + this.lastAt]!++;
          return new DateMatch(t, line, 0, end, 0, end, null);
        }
        // The date is a group inside the match: the previous match stands when this line starts with its text.
        const prev = this.prev;
        if (prev !== null && prev.template === t && end === prev.matchEnd && line.lastIndexOf(prev.text, 0) === 0) {
          this.hits[this.base + this.lastAt]!++;
          return prev;
        }
      }
    }
    const found = this.search(line);
    if (found) {
      this.prev = found;
      this.lastIndex = found.index;
      this.hits[this.base + this.lastAt]!++;
    }
    return found;
  }

  /**
   * fail2ban's choice among the templates: the last one that matched; else
   * the first, in order, whose date starts no later than the last date did
   * (than the second character, before any), or failing that the one whose
   * date starts first. So a date in a message (a user name of an attacker's
   * choosing, say) does not win over the line's own.
   */
  private search(line: string): DateMatch | null {
    const last = this.lastAt < 0 ? undefined : this.templates[this.lastAt];
    let best: DateMatch | null = null;
    let soonEnough = this.lastIndex < 0 ? 1 : this.lastIndex;
    if (last) {
      best = this.tryTemplate(last, line);
      // fail2ban searches again when the date moved (it may be a date in the message now, where the line's
      // own is another format). Done here only when it moved to the line's start, which mixed logs do when a
      // line comes without the prefix the last one had: a format that starts a line is then taken before the
      // last one, as fail2ban takes it. Dates that move with what precedes them (an access log's, after
      // addresses of different lengths) keep their format: searching again there made a million lines take
      // 1.2 to 2.5 s instead of 0.7.
      if (best !== null) {
        if (best.index !== 0 || this.lastIndex <= 0) return best;
        soonEnough = 0;
      }
    }
    // The last template's match is kept unless another matches at the line's start (the first in the list).
    let at = best === null ? -1 : this.lastAt;
    for (let i = 0; i < this.templates.length; i++) {
      const t = this.templates[i]!;
      if (t === last) continue;
      const r = this.tryTemplate(t, line);
      if (r === null) continue;
      if (r.index <= soonEnough) {
        best = r;
        at = i;
        break;
      }
      if (best === null || r.index < best.index) {
        best = r;
        at = i;
      }
    }
    if (best) this.lastAt = at;
    return best;
  }

  private tryTemplate(t: DateTemplate, line: string): DateMatch | null {
    t.regex.lastIndex = 0;
    const m = t.regex.exec(line);
    if (!m) return null;
    // Without the costly `d` flag: the date group is usually the whole match, else it is found inside it.
    const date = m[t.dateGroup] ?? '';
    const start = date.length === m[0].length ? m.index : line.indexOf(date, m.index);
    return new DateMatch(t, line, m.index, m.index + m[0].length, start, start + date.length, m);
  }
}

/** [A-Za-z0-9_]: a character no `\W` matches, under any flags. */
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/**
 * Epoch milliseconds of a matched date. A date without a year gets the
 * current year, or the previous one when that puts it more than a day ahead.
 */
export function dateMatchToTime(dm: DateMatch, now: number, zone?: number): number | null {
  // A template that matched an empty date (ejabberd's `^I\(()**`, for lines that carry none): the date is
  // optional there, and fail2ban takes the time the line is read.
  if (dm.start === dm.end) return now;
  // Remembered by the template (read()): most lines have a match of their own, so a time kept on the match was rarely asked again.
  const t = dm.template.read(dm, now, zone);
  return Number.isNaN(t) ? null : t;
}

/** Where each date field sits in a template's match (-1: the template has no such field). */
interface FieldIndex {
  Y: number; y: number; m: number; b: number; d: number; H: number; I: number; p: number;
  M: number; S: number; f: number; z: number; Z: number; epoch: number; lepoch: number; tai: number;
}

/** The year `now` falls in, remembered with the span it holds for. */
let yearMemo = { from: 0, to: -1, year: 0 };

function localYear(now: number): number {
  if (now >= yearMemo.from && now < yearMemo.to) return yearMemo.year;
  const year = new Date(now).getFullYear();
  yearMemo = { from: new Date(year, 0, 1).getTime(), to: new Date(year + 1, 0, 1).getTime(), year };
  return year;
}

/**
 * The start of a local hour. Lines of one hour share it, and adding minutes
 * and seconds to it gives what `new Date(y, m, d, h, mi, s)` gives, also
 * across a DST change: both move a wall time in a skipped hour forward and
 * take the first of a repeated hour.
 */
let hourMemo = { key: -1, start: 0 };

function localHourStart(y: number, month: number, day: number, hour: number): number {
  const key = ((y * 12 + month) * 32 + day) * 24 + hour;
  if (key !== hourMemo.key) hourMemo = { key, start: new Date(y, month, day, hour).getTime() };
  return hourMemo.start;
}

/** `zone`: the jail's logtimezone, in minutes east of UTC, for dates that give none (undefined: local time). */
function readDate(m: RegExpExecArray, fi: FieldIndex, now: number, zone?: number): number | null {
  const g = (i: number): string | undefined => (i < 0 ? undefined : m[i]);
  const epoch = g(fi.epoch);
  if (epoch !== undefined) return Number(epoch) * 1000 + fractionMs(g(fi.f));
  const lepoch = g(fi.lepoch);
  if (lepoch !== undefined) {
    // Seconds, milliseconds (13 characters or more) or, 16 digits and more without a point, microseconds: fail2ban's reading.
    if (lepoch.length < 13) return Number(lepoch) * 1000;
    return Math.floor(lepoch.length >= 16 && !lepoch.includes('.') ? Number(lepoch) / 1000 : Number(lepoch));
  }
  const tai = g(fi.tai);
  if (tai !== undefined) {
    // The label less 2^62, as fail2ban reads it (libtai would take 10 s more off: TAI ran 10 s ahead of UTC in 1970).
    const secs = BigInt('0x' + tai.slice(0, 16)) - (1n << 62n);
    const nanos = parseInt(tai.slice(16), 16);
    return Number(secs) * 1000 + Math.floor(nanos / 1e6);
  }
  const Y = g(fi.Y);
  const y2 = g(fi.y);
  let year: number | undefined = Y !== undefined ? Number(Y) : y2 !== undefined ? 2000 + Number(y2) : undefined;
  const mo = g(fi.m);
  const b = g(fi.b);
  let month = mo !== undefined ? Number(mo) - 1 : b !== undefined ? MONTHS.indexOf(b.slice(0, 3).toLowerCase()) : undefined;
  const d = g(fi.d);
  let day = d !== undefined ? Number(d.trim()) : undefined;
  const H = g(fi.H);
  let hour = H !== undefined ? Number(H.trim()) : 0;
  const I = g(fi.I);
  if (I !== undefined) {
    hour = Number(I.trim()) % 12;
    if ((g(fi.p) ?? '').toLowerCase() === 'pm') hour += 12;
  }
  const minute = Number(g(fi.M) ?? 0);
  const second = Math.min(59, Number(g(fi.S) ?? 0));
  const ms = fractionMs(g(fi.f));
  // A zone as an offset, an abbreviation, or both (`CET+01:00`); one the table lacks leaves the time local.
  const written = g(fi.z) ?? g(fi.Z);
  const offset = (written === undefined ? undefined : tzOffsetMinutes(written)) ?? zone;
  // A time without a day is today's, or yesterday's when today's is still to come (fail2ban: a rollover at midnight).
  const today = month === undefined && day === undefined;
  if (today) {
    const nowDate = new Date(now);
    month = nowDate.getMonth();
    day = nowDate.getDate();
  }
  const build = (yr: number): number => {
    if (offset !== undefined) return Date.UTC(yr, month!, day!, hour, minute, second, ms) - offset * 60000;
    // Out-of-range fields (day 31 of a 30-day month) roll over exactly as new Date() does.
    if (day! > 28 || hour > 23) return new Date(yr, month!, day!, hour, minute, second, ms).getTime();
    return localHourStart(yr, month!, day!, hour) + minute * 60000 + second * 1000 + ms;
  };
  if (today) {
    const y = year ?? localYear(now);
    const t = build(y);
    if (t <= now) return Number.isFinite(t) ? t : null;
    // Day 0 rolls back to the month before (and on 1 January, to the year before), as new Date() does.
    day!--;
    return build(y);
  }
  if (year === undefined) {
    year = localYear(now);
    const t = build(year);
    if (t > now + 86400_000) return build(year - 1);
    return t;
  }
  const t = build(year);
  return Number.isFinite(t) ? t : null;
}

function fractionMs(f: string | undefined): number {
  if (!f) return 0;
  return Math.floor(Number(`0.${f}`) * 1000);
}

/** `{NONE}`: a datepattern that says the filter's lines carry no date (there is no template to build). */
export function isNoDatePattern(pattern: string): boolean {
  return /^\{NONE\}$/i.test(pattern.trim());
}

/** What to write instead of a zone parseLogTimeZone refuses, for the config and the CLI alike. */
export const LOG_TIME_ZONE_HINT = 'give UTC, an offset such as +0100 or -04:30, a zone abbreviation such as CET, or both (CET+01); it is a fixed offset, as in fail2ban';

/**
 * A jail's `logtimezone` in minutes east of UTC, as fail2ban reads it: UTC,
 * GMT or Z, an abbreviation of the zone table, an offset (+0100, -04:30), or
 * both (CET+01); null for anything else. A fixed offset: no DST switch.
 */
export function parseLogTimeZone(text: string): number | null {
  const t = text.trim();
  return t === '' || !/^(?:[A-Za-z]{1,5})?(?:[+-][01]\d(?::?\d{2})?)?$/.test(t) ? null : tzOffsetMinutes(t) ?? null;
}

function tzOffsetMinutes(z: string): number | undefined {
  if (z === 'Z' || z === 'UTC' || z === 'GMT') return 0;
  const m = /^([A-Za-z]{1,5})?(?:([+-])(\d{2}):?(\d{2})?)?$/.exec(z);
  if (!m) return undefined;
  const base = m[1] === undefined ? 0 : zoneOffsetMinutes(m[1]);
  if (base === undefined) return undefined;
  if (m[2] === undefined) return base;
  const v = Number(m[3]) * 60 + Number(m[4] ?? 0);
  return base + (m[2] === '-' ? -v : v);
}

/** ISO-8601 local time without zone, as fail2ban-regex prints it: 2005-06-21T16:47:48. */
export function isoLocal(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
