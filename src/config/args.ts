import { ConfigError } from '../util/errors.js';

/** `sshd[mode=aggressive, logtype=journal]` split into its name and arguments. */
export interface NamedWithArgs {
  name: string;
  args: Record<string, string>;
}

/**
 * Parses fail2ban's `name[k=v, k2="v, with comma", k3='x']` syntax.
 * Throws a plain Error; callers wrap it with the file, line and key.
 */
export function parseNameWithArgs(text: string): NamedWithArgs {
  const s = text.trim();
  const open = s.indexOf('[');
  if (open < 0) {
    if (!/^[\w.\-/]+$/.test(s)) throw new Error(`"${s}" is not a name (letters, digits, "-", "_", "." only)`);
    return { name: s, args: {} };
  }
  if (!s.endsWith(']')) throw new Error(`"${s}": "[" without a closing "]"`);
  const name = s.slice(0, open).trim();
  if (!/^[\w.\-/]+$/.test(name)) throw new Error(`"${name}" is not a name`);
  const body = s.slice(open + 1, -1);
  const args: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    // Between arguments: commas, spaces, and `][` between option groups (`act[p1=…][p2=…]`, fail2ban 0.10+,
    // as Debian's jail.conf writes `%(default/action_)s[name=…]`); a later value of a key wins.
    for (;;) {
      if (i < body.length && /[\s,]/.test(body[i]!)) i++;
      else if (body[i] === ']' && /^\]\s*\[/.test(body.slice(i))) i = body.indexOf('[', i) + 1;
      else break;
    }
    if (i >= body.length) break;
    const eq = body.indexOf('=', i);
    if (eq < 0) throw new Error(`argument "${body.slice(i)}" has no "="`);
    const key = body.slice(i, eq).trim();
    if (!/^[\w.\-]+$/.test(key)) throw new Error(`bad argument name "${key}"`);
    i = eq + 1;
    while (i < body.length && body[i] === ' ') i++;
    let value = '';
    const q = body[i];
    if (q === '"' || q === "'") {
      i++;
      while (i < body.length && body[i] !== q) {
        if (body[i] === '\\' && body[i + 1] === q) i++;
        value += body[i];
        i++;
      }
      if (i >= body.length) throw new Error(`unterminated quote in argument "${key}"`);
      i++;
    } else {
      // Unquoted values end at a comma that is not inside brackets, or where their option group ends.
      let depth = 0;
      while (i < body.length) {
        const c = body[i]!;
        if (c === ']' && depth <= 0) break;
        if (c === '[' || c === '(') depth++;
        else if (c === ']' || c === ')') depth--;
        else if (c === ',' && depth <= 0) break;
        value += c;
        i++;
      }
      value = value.trim();
    }
    args[key] = value;
  }
  return { name, args };
}

/** An `action =` value may list several actions, one per line (or space-separated at bracket depth 0). */
export function splitActionList(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      cur += c;
      continue;
    }
    if ((c === '"' || c === "'") && depth > 0) quote = c;
    if (c === '[') depth++;
    if (c === ']') depth--;
    // Spaces between option groups (`act[a=1] [b=2]`) do not end the action.
    if (depth === 0 && /\s/.test(c) && !(cur.trimEnd().endsWith(']') && /^\s*\[/.test(text.slice(i)))) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function parseNameWithArgsAt(text: string, where: { file: string; line?: number | undefined; key: string }): NamedWithArgs {
  try {
    return parseNameWithArgs(text);
  } catch (e) {
    throw new ConfigError(where, (e as Error).message);
  }
}
