import { describe, expect, it } from 'vitest';
import { keepTranslations, translatePythonRegex, translationsKept } from '../../src/filter/pyregex.js';
import { RegexTranslationError } from '../../src/util/errors.js';

function run(py: string, text: string): Record<string, string> | null {
  const t = translatePythonRegex(py);
  const m = new RegExp(t.source, t.flags).exec(text);
  if (!m) return null;
  const out: Record<string, string> = { $0: m[0] };
  for (const [name, idx] of t.names) for (const i of idx) if (m[i] !== undefined) { out[name] = m[i]!; break; }
  return out;
}

describe('translatePythonRegex', () => {
  it('turns (?P<n>…) and (?P=n) into numbered groups with a name table', () => {
    expect(run('(?P<a>x+)-(?P=a)', 'xx-xx')).toMatchObject({ a: 'xx' });
    expect(run('^(?P<a>x+)-(?P=a)$', 'xx-x')).toBeNull();
  });

  it('expands conditionals (?(name)yes|no) like Python', () => {
    const py = '^(?P<inv>invalid )?user (?(inv)\\S+|root)$';
    expect(run(py, 'invalid user bob')).not.toBeNull();
    expect(run(py, 'user root')).not.toBeNull();
    expect(run(py, 'user bob')).toBeNull();
  });

  it('handles the conditional inside an alternation the way sshd.conf uses it', () => {
    const py = '^for (?P<ci>invalid user )?(?P<user>(?P<cu>\\S+)|(?(ci)(?:(?! from ).)*?|[^:]+)) from (?P<h>\\S+)(?(cu): |(?:(?:(?! from ).)*)$)';
    expect(run(py, 'for root from 1.2.3.4 port 22: x')).toMatchObject({ user: 'root', h: '1.2.3.4' });
    expect(run(py, 'for invalid user a b from 1.2.3.4 port 22')).toMatchObject({ user: 'a b', h: '1.2.3.4' });
  });

  it('supports atomic groups, possessive quantifiers, \\A, \\Z and {,n}', () => {
    expect(run('(?>a+)b', 'aaab')).not.toBeNull();
    expect(run('a++a', 'aaaa')).toBeNull(); // possessive gives nothing back
    expect(run('\\Aab\\Z', 'ab')).not.toBeNull();
    expect(run('\\Aab\\Z', 'ab\n')).toBeNull();
    expect(run('^a{,2}$', 'aa')).not.toBeNull();
    expect(run('^a{,2}$', 'aaa')).toBeNull();
  });

  it('applies leading and scoped inline flags', () => {
    expect(run('(?i)^failed', 'FAILED')).not.toBeNull();
    expect(run('^(?i:fail)ED$', 'FaIlED')).not.toBeNull();
    expect(run('^(?i:fail)ED$', 'FaIled')).toBeNull();
    expect(run('^(?i:[a-c]+)$', 'AbC')).not.toBeNull();
    expect(run('^(?s:a.b)$', 'a\nb')).not.toBeNull();
    expect(run('^a.b$', 'a\nb')).toBeNull();
  });

  it('treats a leading "]" in a class as a literal, as Python does', () => {
    expect(run('^[]a]+$', ']a]')).not.toBeNull();
  });

  it('fails clearly on what it cannot translate', () => {
    expect(() => translatePythonRegex('(?P<a>x)(?P<a>y)')).toThrow(RegexTranslationError);
    expect(() => translatePythonRegex('(?P<a>x)*(?(a)y|z)')).toThrow(/inside a repetition/);
    expect(() => translatePythonRegex('(?L)x')).toThrow(/locale/);
    // Python's "multiple repeat": JavaScript would nest the quantifiers and backtrack catastrophically.
    for (const p of ['a+*', 'a*?+', 'a{2}{3}', 'a?{2}']) expect(() => translatePythonRegex(p), p).toThrow(/multiple repeat/);
    for (const p of ['a+?', 'a++', 'a{2}+', 'a*{', '(a+)*']) expect(() => translatePythonRegex(p), p).not.toThrow();
    expect(() => translatePythonRegex('(x')).toThrow(/missing "\)"/);
    expect(() => translatePythonRegex('*x')).toThrow(/nothing to repeat/);
  });
});

describe('first characters of an anchored pattern', () => {
  const first = (re: string, opts: { multiline?: boolean } = {}): string | null => {
    const f = translatePythonRegex(re, opts).firstChars;
    return f === null ? null : [...f].map((on, c) => (on ? String.fromCharCode(c) : '')).join('');
  };

  it('collects what can come first, through optional parts, alternatives, classes and flags', () => {
    expect(first('^Failed (a|b)')).toBe('F');
    expect(first('^[aA]uthentication|^User')).toBe('AUa');
    expect(first('(?i)^abc')).toBe('Aa');
    expect(first('^(?:x )?(?P<u>y|\\d)')).toBe('0123456789xy');
    expect(first('^\\s*foo')).toBe('\t\n\u000b\f\r f');
    expect(first('^(?=a)b')).toBe('b');
    expect(first('^(?P<w>a)(?P=w)')).toBe('a');
  });

  it('gives no answer where a match may start anywhere or be empty', () => {
    expect(first('Failed')).toBeNull();
    expect(first('^(?:a*)')).toBeNull();
    expect(first('^$')).toBeNull();
    expect(first('^abc', { multiline: true })).toBeNull();
  });
});

describe('kept translations', () => {
  it('translates a pattern once per set of options, and fails again on a pattern that does not translate', () => {
    const a = translatePythonRegex('^kept (?P<n>\\d+)$');
    expect(translatePythonRegex('^kept (?P<n>\\d+)$')).toBe(a);
    const b = translatePythonRegex('^kept (?P<n>\\d+)$', { capture: false });
    expect(b).not.toBe(a);
    expect(b.source).not.toBe(a.source);
    expect(translatePythonRegex('^kept (?P<n>\\d+)$', { multiline: true })).not.toBe(a);
    expect(() => translatePythonRegex('kept(')).toThrow(RegexTranslationError);
    expect(() => translatePythonRegex('kept(')).toThrow(RegexTranslationError);
  });

  it('hands its translations to another thread, whose own are never replaced', () => {
    const a = translatePythonRegex('^handed (?P<n>\\w+)$');
    const list = translationsKept();
    const entry = list.find(([, t]) => t === a)!;
    expect(entry).toBeDefined();
    // What a worker receives: a structured clone, which works as the original does.
    const [key, clone] = structuredClone(entry);
    expect(clone).toEqual(a);
    expect(new RegExp(clone.source, clone.flags).exec('handed x1')?.[clone.names.get('n')![0]!]).toBe('x1');
    keepTranslations([[key, clone]]);
    expect(translatePythonRegex('^handed (?P<n>\\w+)$')).toBe(a);
  });
});
