import { RegexTranslationError } from '../util/errors.js';
import { expandRegexTags } from './host-tags.js';
import { translatePythonRegex } from './pyregex.js';

/** A fail2ban regex (tags expanded, Python syntax translated), ready to run. */
export class CompiledRegex {
  readonly re: RegExp;
  private readonly names: Map<string, number[]>;
  readonly fieldNames: string[];

  constructor(readonly pattern: string, opts: { multiline?: boolean; useDns?: boolean; anchorStart?: boolean } = {}) {
    if (pattern.trim() === '') throw new RegexTranslationError(pattern, 'empty regex');
    const py = expandRegexTags(pattern, { useDns: opts.useDns });
    const t = translatePythonRegex(py, { multiline: opts.multiline });
    this.re = new RegExp(t.source, t.flags);
    this.names = t.names;
    this.fieldNames = [...t.names.keys()];
  }

  exec(text: string): RegExpExecArray | null {
    this.re.lastIndex = 0;
    return this.re.exec(text);
  }

  /** The value of a named group; with repeated names the first that took part. */
  group(m: RegExpExecArray, name: string): string | undefined {
    const idx = this.names.get(name);
    if (!idx) return undefined;
    for (const i of idx) {
      const v = m[i];
      if (v !== undefined) return v;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Every named group that took part. */
  groups(m: RegExpExecArray): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, idx] of this.names) {
      for (const i of idx) {
        const v = m[i];
        if (v !== undefined) {
          out[name] = v;
          break;
        }
      }
    }
    return out;
  }
}
