import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compilePyExpression, PyExpressionError, type PyScope } from '../../src/config/py-expression.js';
import { skipNote } from '../support/skip-note.js';

const SCOPE: PyScope = {
  ban: { kind: 'namespace', name: 'ban', members: { Time: { kind: 'var', key: 'time' }, Count: { kind: 'var', key: 'count' } } },
  banFactor: { kind: 'var', key: 'factor' },
};

/** Each expression as Python evaluates it: the value and its type, or the exception's class. */
const PYTHON = `
import sys, json, math, types
out = []
for c in json.load(sys.stdin):
    env = {'math': math, 'ban': types.SimpleNamespace(Time=c['time'], Count=c['count']), 'banFactor': c['factor']}
    try:
        v = eval(c['expr'], env)
        out.append({'value': float(v), 'type': type(v).__name__})
    except Exception as e:
        out.append({'error': type(e).__name__})
print(json.dumps(out))
`;

const skip = spawnSync('/usr/bin/python3', ['-c', 'import math'], { stdio: 'ignore' }).status === 0 ? null : 'python3 is not installed: apt-get install python3';

const EXPRESSIONS = [
  // fail2ban's default, and jail.conf's and the NixOS module's published examples
  'ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor',
  'ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)',
  // precedence and associativity
  '-2**2', '2**-1', '2**3**2', '(-2)**2', '-ban.Count**2', '1+2*3-4/5', '7//2', '-7//2', '7.5//2', '-7%3', '7%-3', '7.5%2', '-7.5%2',
  '1<<3+1', '1<<ban.Count', '256>>ban.Count', '6&3', '6|3', '6^3', '~ban.Count', '1|2^3&4', '2*3<<1',
  // comparisons, chained, and the boolean operators returning an operand
  '1<2<3', '3>2>2', '1 == 1.0', '1 != 2', 'ban.Count >= 3', '0 or 5', '2 and 0', '2 and 3', 'not 0', 'not ban.Count', 'ban.Count < 2 or ban.Count * 10',
  'True + True', 'False * 5',
  // conditional expressions, nested
  '1 if ban.Count > 5 else 2 if ban.Count > 2 else 3', '(ban.Time if ban.Count else 0) * 2',
  // numbers as Python writes them
  '0x10 + 0o10 + 0b10', '1_000 * 2', '1e3', '.5 * 4', '1. + 1', '2.5e-1',
  // builtins and math
  'int(7.9)', 'int(-7.9)', 'float(3)', 'abs(-4)', 'abs(-4.5)', 'min(3, 1, 2)', 'max(ban.Time, 100.5)', 'pow(2, 10)', 'pow(2, -2)',
  'round(2.5)', 'round(3.5)', 'round(-2.5)', 'round(2.675, 2)', 'round(0.125, 2)', 'round(0.375, 2)', 'round(-2.675, 2)', 'round(ban.Time / 7, 3)', 'round(1234.5, -2)', 'round(1234, -2)', 'round(7.0)',
  'math.log(ban.Time)', 'math.log(8, 2)', 'math.log2(1024)', 'math.log10(1000)', 'math.sqrt(ban.Time)', 'math.floor(2.7)', 'math.ceil(2.1)',
  'math.trunc(-2.7)', 'math.pow(2, 3)', 'math.fabs(-3)', 'math.e', 'math.pi * 2', 'bool(0)', 'bool(3)',
  // Python's run-time errors
  '1/0', '1//0', '1%0', 'math.log(0)', 'math.sqrt(-1)', 'math.exp(1000)', '1.5 << 2', '1 << -1', '0.0 ** -1', '10.0 ** 400', '~1.5',
];

describe.skipIf(skip !== null)(`Python expressions give what Python gives${skipNote(skip)}`, () => {
  it('over a corpus of operators, numbers, builtins, math functions and errors', () => {
    const envs = [{ time: 600, count: 3, factor: 1 }, { time: 3600, count: 1, factor: 2.0 / 2.885385 }, { time: 60, count: 0, factor: 0.5 }];
    const cases = envs.flatMap((e) => EXPRESSIONS.map((expr) => ({ expr, ...e })));
    const theirs = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PYTHON], { input: JSON.stringify(cases), encoding: 'utf8' })) as Array<{ value?: number; type?: string; error?: string }>;
    const ours = cases.map((c) => {
      try {
        const r = compilePyExpression(c.expr, SCOPE).evaluate({ vars: { time: c.time, count: c.count, factor: c.factor }, random: () => 0.5 });
        return { value: r.v, type: r.float ? 'float' : 'int' };
      } catch (e) {
        if (!(e instanceof PyExpressionError)) throw e;
        return { error: /Python: (\w+)/.exec(e.message)?.[1] ?? e.message };
      }
    });
    const show = (r: { value?: number; type?: string; error?: string }) => (r.error !== undefined ? `error ${r.error}` : `${r.type === 'bool' ? 'int' : r.type} ${Number(r.value!.toPrecision(12))}`);
    expect(cases.map((c, i) => `${c.expr} @${c.count}: ${show(ours[i]!)}`)).toEqual(cases.map((c, i) => `${c.expr} @${c.count}: ${show(theirs[i]!)}`));
  });
});

describe('what an expression may not do', () => {
  const refused: Array<[string, RegExp]> = [
    ['__import__("os").system("id")', /strings are not supported/],
    ['__import__(0)', /unknown name "__import__"/],
    ['open(0)', /unknown name "open"/],
    ['eval(0)', /unknown name "eval"/],
    ['constructor', /unknown name "constructor"/],
    ['math.constructor', /"math" has no attribute "constructor"/],
    ['ban.__class__', /"ban" has no attribute "__class__"/],
    ['ban.Time.real', /"ban.Time" has no attribute "real"/],
    ['"a" * 3', /strings are not supported/],
    ['[1, 2][0]', /lists, subscripts and dicts are not supported/],
    ['lambda x: 1', /unexpected ":"/],
    ['ban.Count in 1', /"in" is not supported/],
    ['1 if ban.Count', /needs "else y"/],
    ['(1 + 2', /expected "\)", found the end/],
    ['1 +', /ends too soon/],
    ['1 2', /unexpected "2" \(column 3\)/],
    ['math.exp', /is a function: call it/],
    ['math', /is not a number/],
    ['ban.Time(2)', /"ban.Time" is not a function/],
    ['math.exp(1, 2)', /math.exp\(\) takes 1 argument, given 2/],
    ['min(1)', /min\(\) takes at least 2 arguments, given 1/],
    ['010', /leading zeros/],
    ['1j', /"1j" is not a number/],
    ['(1, 2)', /tuples are not supported/],
    ['None', /"None" is not supported/],
    ['', /empty/],
    [`${'('.repeat(100)}1${')'.repeat(100)}`, /nested more than 60 deep/],
    ['1+'.repeat(1500) + '1', /longer than 2000 characters/],
  ];
  for (const [source, message] of refused) {
    it(`refuses ${source.length > 40 ? `${source.slice(0, 20)}…` : source || '(empty)'} when compiled`, () => {
      expect(() => compilePyExpression(source, SCOPE)).toThrow(message);
      expect(() => compilePyExpression(source, SCOPE)).toThrow(PyExpressionError);
    });
  }

  it('calls random.random() through the injected source', () => {
    const e = compilePyExpression('ban.Time + random.random() * 10', SCOPE);
    expect(e.evaluate({ vars: { time: 600, count: 1, factor: 1 }, random: () => 0.25 }).v).toBe(602.5);
  });

  it('ends an int past the range of a double as an error, where Python would go on with a bigger int', () => {
    for (const src of ['10**308 * 10 << 1', '(10**308 * 10) & 1', '1 | 10**308 * 10', 'int(10**308 * 10)']) {
      expect(() => compilePyExpression(src, SCOPE).evaluate({ vars: {}, random: () => 0.5 }), src).toThrow(PyExpressionError);
    }
  });

  it('fails only as a PyExpressionError, whatever the tokens (a seeded random corpus)', () => {
    const parts = ['ban.Time', 'ban.Count', 'banFactor', '1', '0', '-', '+', '*', '/', '//', '%', '**', '<<', '>>', '&', '|', '^', '~', '(', ')', ',', '.',
      '<', '==', 'if', 'else', 'and', 'or', 'not', 'math.exp(', 'math.log(', 'int(', 'round(', 'min(', '10**308', 'math.inf', '1e308', '0.5', 'True', 'x'];
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let evaluated = 0;
    for (let n = 0; n < 20_000; n++) {
      const len = 1 + Math.floor(next() * 12);
      const src = Array.from({ length: len }, () => parts[Math.floor(next() * parts.length)]).join(' ');
      try {
        compilePyExpression(src, SCOPE).evaluate({ vars: { time: 600, count: 2, factor: 1.5 }, random: () => 0.5 });
        evaluated++;
      } catch (e) {
        if (!(e instanceof PyExpressionError)) throw new Error(`${src}: ${String(e)}`);
      }
    }
    expect(evaluated).toBeGreaterThan(100);
  });
});
