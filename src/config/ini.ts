import { ConfigError } from '../util/errors.js';

/** One value as written, with where it came from so errors can point at it. */
export interface IniEntry {
  value: string;
  file: string;
  line: number;
}

export interface IniSection {
  name: string;
  file: string;
  line: number;
  entries: Map<string, IniEntry>;
}

const SECTION_RE = /^\[([^\]]+)\]\s*(?:[;#].*)?$/;
const OPTION_RE = /^([^=:\s][^=:]*?)\s*[=:]\s?(.*)$/;

/**
 * Parses one file the way Python's configparser (as fail2ban configures it)
 * does: `=` or `:` delimiters, `#`/`;` whole-line comments (also between the
 * lines of a multi-line value), `;` inline comments after white space, and
 * continuation lines indented deeper than their key.
 */
export function parseIni(text: string, file: string): IniSection[] {
  const sections: IniSection[] = [];
  let current: IniSection | undefined;
  let lastKey: { entry: IniEntry; indent: number } | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    const stripped = raw.trim();
    if (stripped === '' ) {
      // An empty line inside a multi-line value is kept only if more follows; trimmed later.
      if (lastKey) lastKey.entry.value += '\n';
      continue;
    }
    if (stripped.startsWith('#') || stripped.startsWith(';')) continue;
    const indent = raw.length - raw.trimStart().length;
    if (lastKey && indent > lastKey.indent) {
      lastKey.entry.value += '\n' + stripInline(stripped);
      continue;
    }
    lastKey = undefined;
    const sec = SECTION_RE.exec(stripped);
    if (sec && indent === 0) {
      current = { name: sec[1]!.trim(), file, line: lineNo, entries: new Map() };
      sections.push(current);
      continue;
    }
    const opt = OPTION_RE.exec(stripped);
    if (!opt) {
      throw new ConfigError({ file, line: lineNo }, `cannot parse line: ${JSON.stringify(raw.slice(0, 120))}`,
        'expected "[section]" or "key = value"');
    }
    if (!current) {
      throw new ConfigError({ file, line: lineNo, key: opt[1]!.trim() }, 'option outside of any [section]',
        'put a section header such as [Definition] above it');
    }
    const key = opt[1]!.trim();
    const entry: IniEntry = { value: stripInline(opt[2]!.trim()), file, line: lineNo };
    current.entries.set(key, entry);
    lastKey = { entry, indent };
  }
  for (const s of sections) for (const e of s.entries.values()) e.value = e.value.replace(/\n+$/, '').replace(/\n{2,}/g, '\n');
  return sections;
}

/** `;` starts a comment only after white space, so regexes keep their semicolons. */
function stripInline(value: string): string {
  const m = /\s;/.exec(value);
  return m ? value.slice(0, m.index).trimEnd() : value;
}
