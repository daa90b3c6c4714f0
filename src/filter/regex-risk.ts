/**
 * A load-time check for regexes that can backtrack catastrophically: an
 * unbounded repetition of a body that can itself be split in many ways, such
 * as `(a+)+`, `(?:\S+\s*)*` or `("+[^"]*)*`. A body is taken as ambiguous when
 * one of its alternatives repeats without bound and nothing in it must match
 * but that repetition: a second required part (`(?:\w+\s+)*`, `(?:[^|]*\|)*`)
 * delimits the iterations, and the match stays linear.
 * It reads the JavaScript source after translation, where `<HOST>` and friends
 * are already expanded.
 */
export interface RegexRisk {
  /** The offending repetition, as written. */
  fragment: string;
  /** True when V8's linear-time fallback cannot take over (back-references, lookarounds). */
  unbounded: boolean;
}

interface Alt {
  required: number;
  /** Whether the one required part (when there is one) itself repeats. */
  requiredRepeats: boolean;
  repeats: boolean;
}

interface Frame {
  start: number;
  zeroWidth: boolean;
  alt: Alt;
  ambiguous: boolean;
  repeats: boolean;
}

export function regexRisk(source: string): RegexRisk | null {
  const stack: Frame[] = [{ start: 0, zeroWidth: false, alt: { required: 0, requiredRepeats: false, repeats: false }, ambiguous: false, repeats: false }];
  let found: string | null = null;
  let i = 0;
  const n = source.length;
  const top = () => stack[stack.length - 1]!;
  const endAlt = (f: Frame) => {
    if (f.alt.repeats && (f.alt.required === 0 || (f.alt.required === 1 && f.alt.requiredRepeats))) f.ambiguous = true;
    f.repeats ||= f.alt.repeats;
    f.alt = { required: 0, requiredRepeats: false, repeats: false };
  };
  /** Reads the quantifier after an atom: min and whether the max is unbounded. */
  const quantifier = (): { min: number; unbounded: boolean } => {
    const c = source[i];
    let q = { min: 1, unbounded: false };
    if (c === '*') q = { min: 0, unbounded: true };
    else if (c === '+') q = { min: 1, unbounded: true };
    else if (c === '?') q = { min: 0, unbounded: false };
    else if (c === '{') {
      const m = /^\{(\d+)(,?)(\d*)\}/.exec(source.slice(i, i + 24));
      if (!m) return q;
      q = { min: Number(m[1]), unbounded: m[2] === ',' && m[3] === '' };
      i += m[0].length - 1;
    } else return q;
    i++;
    if (source[i] === '?' || source[i] === '+') i++; // lazy or possessive marker
    return q;
  };
  const atom = (inner: { repeats: boolean; ambiguous: boolean } | null, start: number) => {
    const q = quantifier();
    if (q.unbounded && inner?.ambiguous && found === null) found = source.slice(start, i);
    const f = top();
    const repeats = q.unbounded || (inner?.repeats ?? false);
    if (q.min > 0) {
      f.alt.required++;
      f.alt.requiredRepeats = repeats;
    }
    if (repeats) f.alt.repeats = true;
  };
  while (i < n) {
    const c = source[i]!;
    const start = i;
    if (c === '\\') {
      const next = source[i + 1];
      i += 2;
      if (next === 'b' || next === 'B') continue;
      atom(null, start);
      continue;
    }
    if (c === '[') {
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++;
      while (i < n && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
      atom(null, start);
      continue;
    }
    if (c === '(') {
      i++;
      let zeroWidth = false;
      if (source[i] === '?') {
        const m = /^\?(?::|=|!|<=|<!|<[A-Za-z_]\w*>)/.exec(source.slice(i, i + 64));
        zeroWidth = m !== null && /^\?(?:=|!|<=|<!)$/.test(m[0]);
        i += m ? m[0].length : 1;
      }
      stack.push({ start, zeroWidth, alt: { required: 0, requiredRepeats: false, repeats: false }, ambiguous: false, repeats: false });
      continue;
    }
    if (c === ')' && stack.length > 1) {
      const f = stack.pop()!;
      endAlt(f);
      i++;
      if (f.zeroWidth) continue;
      atom(f, f.start);
      continue;
    }
    if (c === '|') {
      endAlt(top());
      i++;
      continue;
    }
    i++;
    if (c === '^' || c === '$') continue;
    atom(null, start);
  }
  if (found === null) return null;
  const fragment: string = found;
  return { fragment: fragment.length > 80 ? `${fragment.slice(0, 77)}...` : fragment, unbounded: /\(\?<?[=!]|\\[1-9]|\\k</.test(source) };
}
