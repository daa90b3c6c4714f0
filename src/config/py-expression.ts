import { UserError } from '../util/errors.js';

/**
 * The arithmetic part of Python's expression language, for the config values
 * fail2ban hands to Python's eval: `bantime.formula` and `bantime.factor`
 * (jail.py evaluates both, with the `math` and `random` modules in scope).
 * Published formulas such as
 *
 *   ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)
 *   ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor
 *
 * give the same ban times here as in fail2ban. This is an interpreter of a
 * closed subset, never eval: numbers, the names a caller binds, attribute
 * access on them, calls of the functions it binds, and Python's operators with
 * Python's precedence and semantics (int and float kept apart, `/` true
 * division, `//` and `%` flooring, `**` right-associative and above unary
 * minus, chained comparisons, `and`/`or` giving an operand, `x if c else y`).
 * Anything else (strings, subscripts, lambdas, comprehensions) is refused when
 * the expression is compiled, with the column.
 */

/** A Python number. Booleans are ints (True is 1), as in arithmetic Python. */
export interface PyNum {
  v: number;
  float: boolean;
}

export interface PyFunction {
  kind: 'fn';
  name: string;
  minArgs: number;
  maxArgs: number;
  call(args: PyNum[], env: PyEnv): PyNum;
}

/** What a name stands for, known when the expression is compiled. */
export type PyBinding =
  | PyFunction
  | { kind: 'const'; value: PyNum }
  /** A number the caller gives at each evaluation, under this key of `PyEnv.vars`. */
  | { kind: 'var'; key: string; float?: boolean }
  | { kind: 'namespace'; name: string; members: Record<string, PyBinding> };

export interface PyEnv {
  vars: Record<string, number>;
  random: () => number;
}

export type PyScope = Record<string, PyBinding>;

/** A syntax error, an unknown name or a construct outside the subset (at compile time), or a Python run-time error. */
export class PyExpressionError extends UserError {
  readonly column: number | undefined;
  constructor(message: string, column?: number) {
    super(column === undefined ? message : `${message} (column ${column + 1})`);
    this.name = 'PyExpressionError';
    this.column = column;
  }
}

/** Text that is not a Python expression at all: Python's compile() would refuse it too. */
export class PySyntaxError extends PyExpressionError {
  constructor(message: string, column?: number) {
    super(message, column);
    this.name = 'PySyntaxError';
  }
}

const MAX_LENGTH = 2000;
const MAX_DEPTH = 60;

const int = (v: number): PyNum => ({ v, float: false });
const flt = (v: number): PyNum => ({ v, float: true });
const bool = (b: boolean): PyNum => int(b ? 1 : 0);

function checkFinite(r: PyNum, what: string): PyNum {
  if (!Number.isFinite(r.v)) throw new PyExpressionError(`${what}: result too large (Python: OverflowError)`);
  return r;
}

function needInts(a: PyNum, b: PyNum | null, op: string): void {
  if (a.float || (b !== null && b.float)) throw new PyExpressionError(`unsupported operand type(s) for ${op}: 'float' (Python: TypeError)`);
  // Python's ints have no bound; past a double's range, ours end here rather than as a BigInt RangeError.
  if (!Number.isFinite(a.v) || (b !== null && !Number.isFinite(b.v))) throw new PyExpressionError(`${op}: integer too large (Python: OverflowError)`);
}

/** Python's round(): halves to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Python's round(x, n) for a float: the double's exact decimal value rounded
 * at the n-th digit, halves to even. 2.675 is 2.67499999… as a double, so it
 * rounds to 2.67, where scaling by 100 first would give 2.68.
 */
function roundDigits(x: number, n: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21 || n > 20) return x;
  if (n < 0) return roundHalfEven(x / 10 ** -n) * 10 ** -n;
  // toFixed(100) is exact for any double below 1e21 whose expansion ends within 100 digits, which covers
  // every value a ban time can take; a longer one is cut at the 100th digit, far past the digit that decides.
  const exact = Math.abs(x).toFixed(100);
  const point = exact.indexOf('.');
  const kept = exact.slice(0, point + 1 + n);
  const rest = exact.slice(point + 1 + n);
  const up = rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || /[13579]$/.test(kept.replace('.', ''))));
  let r = Number(kept.endsWith('.') ? kept.slice(0, -1) : kept);
  if (up) r += 10 ** -n;
  r = Number(r.toFixed(n));
  return x < 0 ? -r : r;
}

function fn(name: string, minArgs: number, maxArgs: number, call: (args: PyNum[], env: PyEnv) => PyNum): PyFunction {
  return { kind: 'fn', name, minArgs, maxArgs, call };
}

function mathFn(name: string, f: (x: number) => number): PyFunction {
  return fn(`math.${name}`, 1, 1, ([x]) => {
    const r = f(x!.v);
    if (Number.isNaN(r)) throw new PyExpressionError(`math.${name}: math domain error (Python: ValueError)`);
    return checkFinite(flt(r), `math.${name}`);
  });
}

function toInt(x: PyNum, name: string): PyNum {
  if (!Number.isFinite(x.v)) throw new PyExpressionError(`${name}: cannot convert ${x.v} to an integer`);
  return int(Math.trunc(x.v));
}

/** Python's builtins and the modules fail2ban's jail.py has imported where it evaluates these values. */
export const PY_BUILTINS: PyScope = {
  True: { kind: 'const', value: int(1) },
  False: { kind: 'const', value: int(0) },
  int: fn('int', 1, 1, ([x]) => toInt(x!, 'int')),
  float: fn('float', 1, 1, ([x]) => flt(x!.v)),
  bool: fn('bool', 1, 1, ([x]) => bool(x!.v !== 0)),
  abs: fn('abs', 1, 1, ([x]) => ({ v: Math.abs(x!.v), float: x!.float })),
  min: fn('min', 2, 64, (xs) => xs.reduce((a, b) => (b.v < a.v ? b : a))),
  max: fn('max', 2, 64, (xs) => xs.reduce((a, b) => (b.v > a.v ? b : a))),
  pow: fn('pow', 2, 2, ([a, b]) => power(a!, b!)),
  round: fn('round', 1, 2, ([x, n]) => {
    if (n === undefined) return toInt(flt(roundHalfEven(x!.v)), 'round');
    needInts(n, null, 'round() ndigits');
    if (!x!.float) return n.v >= 0 ? x! : int(roundDigits(x!.v, n.v));
    return flt(roundDigits(x!.v, n.v));
  }),
  math: {
    kind: 'namespace',
    name: 'math',
    members: {
      e: { kind: 'const', value: flt(Math.E) },
      pi: { kind: 'const', value: flt(Math.PI) },
      inf: { kind: 'const', value: flt(Infinity) },
      exp: mathFn('exp', Math.exp),
      log: fn('math.log', 1, 2, ([x, base]) => {
        if (x!.v <= 0 || (base !== undefined && (base.v <= 0 || base.v === 1))) throw new PyExpressionError('math.log: math domain error (Python: ValueError)');
        return flt(base === undefined ? Math.log(x!.v) : Math.log(x!.v) / Math.log(base.v));
      }),
      log2: mathFn('log2', (x) => (x <= 0 ? NaN : Math.log2(x))),
      log10: mathFn('log10', (x) => (x <= 0 ? NaN : Math.log10(x))),
      sqrt: mathFn('sqrt', (x) => (x < 0 ? NaN : Math.sqrt(x))),
      fabs: mathFn('fabs', Math.abs),
      pow: fn('math.pow', 2, 2, ([a, b]) => checkFinite(flt(a!.v ** b!.v), 'math.pow')),
      floor: fn('math.floor', 1, 1, ([x]) => toInt(flt(Math.floor(x!.v)), 'math.floor')),
      ceil: fn('math.ceil', 1, 1, ([x]) => toInt(flt(Math.ceil(x!.v)), 'math.ceil')),
      trunc: fn('math.trunc', 1, 1, ([x]) => toInt(x!, 'math.trunc')),
    },
  },
  random: {
    kind: 'namespace',
    name: 'random',
    members: { random: fn('random.random', 0, 0, (_, env) => flt(env.random())) },
  },
};

function power(a: PyNum, b: PyNum): PyNum {
  if (!a.float && !b.float && b.v >= 0) return checkFinite(int(a.v ** b.v), '**');
  if (a.v === 0 && b.v < 0) throw new PyExpressionError('0.0 cannot be raised to a negative power (Python: ZeroDivisionError)');
  const r = a.v ** b.v;
  if (Number.isNaN(r)) throw new PyExpressionError('a negative number to a fractional power is complex, not a number');
  return checkFinite(flt(r), '**');
}

function floorDiv(a: PyNum, b: PyNum): PyNum {
  if (b.v === 0) throw new PyExpressionError('division by zero (Python: ZeroDivisionError)');
  const f = a.float || b.float;
  return { v: Math.floor(a.v / b.v), float: f };
}

function mod(a: PyNum, b: PyNum): PyNum {
  if (b.v === 0) throw new PyExpressionError('modulo by zero (Python: ZeroDivisionError)');
  const r = a.v - b.v * Math.floor(a.v / b.v);
  return { v: r, float: a.float || b.float };
}

function shift(a: PyNum, b: PyNum, left: boolean): PyNum {
  needInts(a, b, left ? '<<' : '>>');
  if (b.v < 0) throw new PyExpressionError('negative shift count (Python: ValueError)');
  const r = left ? BigInt(a.v) << BigInt(b.v) : BigInt(a.v) >> BigInt(b.v);
  return checkFinite(int(Number(r)), left ? '<<' : '>>');
}

function bitwise(a: PyNum, b: PyNum, op: '&' | '|' | '^'): PyNum {
  needInts(a, b, op);
  const x = BigInt(a.v);
  const y = BigInt(b.v);
  return int(Number(op === '&' ? x & y : op === '|' ? x | y : x ^ y));
}

const BINARY: Record<string, (a: PyNum, b: PyNum) => PyNum> = {
  // Python's float arithmetic overflows to inf without an error; ** and math's functions raise (checkFinite).
  '+': (a, b) => ({ v: a.v + b.v, float: a.float || b.float }),
  '-': (a, b) => ({ v: a.v - b.v, float: a.float || b.float }),
  '*': (a, b) => ({ v: a.v * b.v, float: a.float || b.float }),
  '/': (a, b) => {
    if (b.v === 0) throw new PyExpressionError('division by zero (Python: ZeroDivisionError)');
    return flt(a.v / b.v);
  },
  '//': floorDiv,
  '%': mod,
  '**': power,
  '<<': (a, b) => shift(a, b, true),
  '>>': (a, b) => shift(a, b, false),
  '&': (a, b) => bitwise(a, b, '&'),
  '|': (a, b) => bitwise(a, b, '|'),
  '^': (a, b) => bitwise(a, b, '^'),
};

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

// ---- tokens ----

interface Token {
  kind: 'num' | 'name' | 'op' | 'end';
  text: string;
  at: number;
  value?: PyNum;
}

const OPERATORS = ['**', '//', '<<', '>>', '<=', '>=', '==', '!=', '+', '-', '*', '/', '%', '<', '>', '&', '|', '^', '~', '(', ')', ',', '.'];
const NUMBER = /(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.?(?:[eE][+-]?\d(?:_?\d)*)?)/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const UNSUPPORTED_KEYWORDS = new Set(['in', 'is', 'lambda', 'for', 'await', 'yield', 'None', 'import']);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(src);
    if (num && num[0] !== '' && (/\d/.test(c) || (c === '.' && /\d/.test(src[i + 1] ?? '')))) {
      const text = num[0];
      const clean = text.replace(/_/g, '');
      const isFloat = !/^0[xXoObB]/.test(clean) && /[.eE]/.test(clean);
      if (!isFloat && /^0\d/.test(clean) && /[1-9]/.test(clean)) throw new PySyntaxError(`"${text}": leading zeros in a decimal integer are not allowed in Python`, i);
      const v = isFloat ? Number(clean) : /^0[oO]/.test(clean) ? parseInt(clean.slice(2), 8) : Number(clean);
      if (/[A-Za-z_]/.test(src[i + text.length] ?? '')) throw new PyExpressionError(`"${src.slice(i).match(/^\S+/)![0]}" is not a number`, i);
      out.push({ kind: 'num', text, at: i, value: { v, float: isFloat } });
      i += text.length;
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(src);
    if (name) {
      out.push({ kind: 'name', text: name[0], at: i });
      i += name[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', text: op, at: i });
      i += op.length;
      continue;
    }
    if (c === '"' || c === "'") throw new PyExpressionError('strings are not supported here', i);
    if ('[]{}'.includes(c)) throw new PyExpressionError('lists, subscripts and dicts are not supported here', i);
    throw new PyExpressionError(`unexpected "${c}"`, i);
  }
  out.push({ kind: 'end', text: 'the end', at: src.length });
  return out;
}

// ---- parser: each rule returns the node's evaluator ----

type Eval = (env: PyEnv) => PyNum;

const truthy = (x: PyNum) => x.v !== 0;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[], private readonly scope: PyScope) {}

  parse(): Eval {
    const e = this.test();
    const t = this.peek();
    if (t.kind === 'name' && UNSUPPORTED_KEYWORDS.has(t.text)) throw new PyExpressionError(`"${t.text}" is not supported here`, t.at);
    if (t.kind !== 'end') throw new PyExpressionError(`unexpected "${t.text}"`, t.at);
    return e;
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === text;
  }

  private isKeyword(text: string): boolean {
    const t = this.peek();
    return t.kind === 'name' && t.text === text;
  }

  private expectOp(text: string): void {
    const t = this.peek();
    if (!this.isOp(text)) throw new PySyntaxError(`expected "${text}", found ${t.kind === 'end' ? 'the end' : `"${t.text}"`}`, t.at);
    this.i++;
  }

  private nested<T>(f: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new PyExpressionError(`nested more than ${MAX_DEPTH} deep`, this.peek().at);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  /** test: or_test ['if' or_test 'else' test] */
  private test(): Eval {
    return this.nested(() => {
      const then = this.orTest();
      if (!this.isKeyword('if')) return then;
      this.i++;
      const cond = this.orTest();
      if (!this.isKeyword('else')) throw new PySyntaxError('"x if c" needs "else y"', this.peek().at);
      this.i++;
      const other = this.test();
      return (env) => (truthy(cond(env)) ? then(env) : other(env));
    });
  }

  private orTest(): Eval {
    return this.booleanOp('or', () => this.andTest());
  }

  private andTest(): Eval {
    return this.booleanOp('and', () => this.notTest());
  }

  /** `a or b` is a when a is true, else b; `a and b` is a when a is false, else b: an operand, as in Python. */
  private booleanOp(word: 'or' | 'and', operand: () => Eval): Eval {
    let left = operand();
    while (this.isKeyword(word)) {
      this.i++;
      const a = left;
      const b = operand();
      const stopWhen = word === 'or';
      left = (env) => {
        const x = a(env);
        return truthy(x) === stopWhen ? x : b(env);
      };
    }
    return left;
  }

  private notTest(): Eval {
    if (this.isKeyword('not')) {
      this.i++;
      const x = this.nested(() => this.notTest());
      return (env) => bool(!truthy(x(env)));
    }
    return this.comparison();
  }

  /** Python chains comparisons: a < b < c is a < b and b < c, b evaluated once. */
  private comparison(): Eval {
    const first = this.binary(0);
    const ops: Array<(a: number, b: number) => boolean> = [];
    const rest: Eval[] = [];
    for (;;) {
      const t = this.peek();
      const cmp = t.kind === 'op' ? COMPARE[t.text] : undefined;
      if (!cmp) break;
      this.i++;
      ops.push(cmp);
      rest.push(this.binary(0));
    }
    if (ops.length === 0) return first;
    return (env) => {
      let a = first(env).v;
      for (let k = 0; k < ops.length; k++) {
        const b = rest[k]!(env).v;
        if (!ops[k]!(a, b)) return bool(false);
        a = b;
      }
      return bool(true);
    };
  }

  /** Binary operators from | (level 0) to * / // % (level 5), all left-associative. */
  private static readonly LEVELS = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '//', '%']];

  private binary(level: number): Eval {
    if (level === Parser.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !Parser.LEVELS[level]!.includes(t.text)) return left;
      this.i++;
      const f = BINARY[t.text]!;
      const a = left;
      const b = this.binary(level + 1);
      left = (env) => f(a(env), b(env));
    }
  }

  /** factor: ('+'|'-'|'~') factor | power */
  private unary(): Eval {
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '~')) {
      this.i++;
      const x = this.nested(() => this.unary());
      if (t.text === '+') return x;
      if (t.text === '-') return (env) => {
        const v = x(env);
        return { v: -v.v, float: v.float };
      };
      return (env) => {
        const v = x(env);
        needInts(v, null, '~');
        return int(-v.v - 1);
      };
    }
    return this.power();
  }

  /** power: primary ['**' factor]; right-associative, and -2**2 is -(2**2). */
  private power(): Eval {
    const base = this.primary();
    if (!this.isOp('**')) return base;
    this.i++;
    const exp = this.nested(() => this.unary());
    return (env) => power(base(env), exp(env));
  }

  private primary(): Eval {
    const t = this.peek();
    if (t.kind === 'num') {
      this.i++;
      const v = t.value!;
      return () => v;
    }
    if (this.isOp('(')) {
      this.i++;
      const e = this.nested(() => this.test());
      if (this.isOp(',')) throw new PyExpressionError('tuples are not supported here', this.peek().at);
      this.expectOp(')');
      return this.noTrailer(e);
    }
    if (t.kind === 'name') return this.noTrailer(this.reference());
    if (t.kind === 'end') throw new PySyntaxError('the expression ends too soon', t.at);
    throw new PyExpressionError(`unexpected "${t.text}"`, t.at);
  }

  private noTrailer(e: Eval): Eval {
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '.' || t.text === '(')) throw new PyExpressionError(`"${t.text}" after a number is not supported here`, t.at);
    return e;
  }

  /** NAME ('.' NAME)* ['(' args ')'], resolved now against the scope. */
  private reference(): Eval {
    const first = this.peek();
    if (UNSUPPORTED_KEYWORDS.has(first.text) || ['if', 'else', 'and', 'or', 'not'].includes(first.text)) {
      throw new PyExpressionError(`"${first.text}" is not supported here`, first.at);
    }
    this.i++;
    let path = first.text;
    // Own properties only: a name such as "constructor" must not reach Object.prototype.
    let binding: PyBinding | undefined = Object.hasOwn(this.scope, first.text) ? this.scope[first.text] : undefined;
    if (binding === undefined) {
      const own = Object.keys(this.scope).filter((k) => !Object.hasOwn(PY_BUILTINS, k));
      throw new PyExpressionError(`unknown name "${first.text}"${own.length ? ` (known here: ${own.join(', ')}, math.*, Python's number builtins)` : ''}`, first.at);
    }
    while (this.isOp('.')) {
      this.i++;
      const attr = this.peek();
      if (attr.kind !== 'name') throw new PySyntaxError('a name must follow "."', attr.at);
      this.i++;
      if (binding.kind !== 'namespace') throw new PyExpressionError(`"${path}" has no attribute "${attr.text}"`, attr.at);
      const member: PyBinding | undefined = Object.hasOwn(binding.members, attr.text) ? binding.members[attr.text] : undefined;
      if (member === undefined) throw new PyExpressionError(`"${path}" has no attribute "${attr.text}" (known: ${Object.keys(binding.members).join(', ')})`, attr.at);
      path = `${path}.${attr.text}`;
      binding = member;
    }
    if (this.isOp('(')) {
      const open = this.peek();
      if (binding.kind !== 'fn') throw new PyExpressionError(`"${path}" is not a function`, open.at);
      this.i++;
      const args: Eval[] = [];
      if (!this.isOp(')')) {
        for (;;) {
          args.push(this.nested(() => this.test()));
          if (!this.isOp(',')) break;
          this.i++;
          if (this.isOp(')')) break;
        }
      }
      this.expectOp(')');
      const f = binding;
      if (args.length < f.minArgs || args.length > f.maxArgs) {
        const want = f.minArgs === f.maxArgs ? `${f.minArgs}` : f.maxArgs > 8 ? `at least ${f.minArgs}` : `${f.minArgs} to ${f.maxArgs}`;
        throw new PyExpressionError(`${f.name}() takes ${want} argument${want === '1' ? '' : 's'}, given ${args.length}`, open.at);
      }
      return (env) => f.call(args.map((a) => a(env)), env);
    }
    switch (binding.kind) {
      case 'const': {
        const v = binding.value;
        return () => v;
      }
      case 'var': {
        const key = binding.key;
        const isFloat = binding.float === true;
        return (env) => {
          const v = env.vars[key];
          if (v === undefined) throw new Error(`py-expression: no value for ${key}`);
          return { v, float: isFloat || !Number.isInteger(v) };
        };
      }
      case 'fn':
        throw new PyExpressionError(`"${path}" is a function: call it, ${path}(…)`, this.peek().at);
      case 'namespace':
        throw new PyExpressionError(`"${path}" is not a number (known: ${Object.keys(binding.members).map((m) => `${path}.${m}`).join(', ')})`, first.at);
    }
  }
}

export interface PyExpression {
  readonly source: string;
  /** Python's value of the expression; throws PyExpressionError for Python's run-time errors. */
  evaluate(env: PyEnv): PyNum;
}

/** Parses the expression against the names of `scope` (over the builtins); errors name the column. */
export function compilePyExpression(source: string, scope: PyScope = {}): PyExpression {
  if (source.length > MAX_LENGTH) throw new PyExpressionError(`longer than ${MAX_LENGTH} characters`);
  if (source.trim() === '') throw new PySyntaxError('empty');
  const evaluate = new Parser(tokenize(source), { ...PY_BUILTINS, ...scope }).parse();
  return { source, evaluate };
}
