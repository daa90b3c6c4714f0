import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { parseIni, type IniEntry } from './ini.js';

const DEFAULT = 'DEFAULT';

/**
 * Values `%(known/x)s` takes before the files' own: fail2ban merges a jail's
 * filter options into the jail's section as `known/x`, so that a jail can
 * extend them (`failregex = %(known/failregex)s` and a line of its own).
 * Undefined: the files' `known/x`.
 */
export type KnownValues = (key: string) => string | undefined;

/**
 * The merged view of a fail2ban-style file family (`jail.conf`,
 * `jail.d/*.conf`, `jail.local`, `jail.d/*.local`, with their includes).
 * A later file overrides an earlier one key by key; the value it replaced stays
 * reachable as `known/KEY`, as fail2ban allows.
 */
export class ConfigStore {
  private sections = new Map<string, Map<string, IniEntry>>();
  private sectionOrigin = new Map<string, { file: string; line: number }>();
  readonly files: string[] = [];

  /** Read one file with its `[INCLUDES] before/after`, merging into this store. */
  readFile(path: string, seen: Set<string> = new Set()): void {
    const abs = resolve(path);
    if (seen.has(abs)) return;
    seen.add(abs);
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (e) {
      throw new ConfigError({ file: abs }, `cannot read: ${(e as Error).message}`);
    }
    const parsed = parseIni(text, abs);
    const includes = parsed.find((s) => s.name === 'INCLUDES');
    const list = (key: string) => {
      const e = includes?.entries.get(key);
      if (!e) return [];
      return e.value.split(/\s+/).filter(Boolean).map((p) => ({ path: isAbsolute(p) ? p : join(dirname(abs), p), entry: e }));
    };
    for (const inc of list('before')) this.readOptional(inc.path, seen);
    this.files.push(abs);
    for (const section of parsed) {
      if (section.name === 'INCLUDES') continue;
      let target = this.sections.get(section.name);
      if (!target) {
        target = new Map();
        this.sections.set(section.name, target);
        this.sectionOrigin.set(section.name, { file: section.file, line: section.line });
      }
      for (const [k, v] of section.entries) {
        const prev = target.get(k);
        if (prev) target.set(`known/${k}`, prev);
        target.set(k, v);
      }
    }
    for (const inc of list('after')) this.readOptional(inc.path, seen);
  }

  /** Includes may name files that do not exist (`common.local`); fail2ban skips those. */
  private readOptional(path: string, seen: Set<string>): void {
    if (existsSync(path)) this.readFile(path, seen);
  }

  /** fail2ban's reading order for a family: X.conf, X.d/*.conf, X.local, X.d/*.local. */
  readFamily(dir: string, base: string): boolean {
    const dDir = join(dir, `${base}.d`);
    const dFiles = (ext: string) => {
      if (!existsSync(dDir) || !statSync(dDir).isDirectory()) return [];
      return readdirSync(dDir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dDir, f));
    };
    const order = [join(dir, `${base}.conf`), ...dFiles('.conf'), join(dir, `${base}.local`), ...dFiles('.local')];
    let any = false;
    const seen = new Set<string>();
    for (const f of order) {
      if (existsSync(f)) {
        this.readFile(f, seen);
        any = true;
      }
    }
    return any;
  }

  hasSection(name: string): boolean {
    return this.sections.has(name);
  }

  sectionNames(): string[] {
    return [...this.sections.keys()].filter((n) => n !== DEFAULT);
  }

  origin(section: string): { file: string; line: number } | undefined {
    return this.sectionOrigin.get(section);
  }

  /** Keys of a section, DEFAULT's included, as configparser shows them. */
  keys(section: string): string[] {
    const own = this.sections.get(section);
    const def = this.sections.get(DEFAULT);
    const all = new Set<string>([...(def?.keys() ?? []), ...(own?.keys() ?? [])]);
    return [...all].filter((k) => !k.startsWith('known/'));
  }

  /** The raw entry, looking in the section and then DEFAULT. */
  entry(section: string, key: string): IniEntry | undefined {
    const sec = section.toLowerCase() === 'default' ? DEFAULT : section;
    return this.sections.get(sec)?.get(key) ?? this.sections.get(DEFAULT)?.get(key);
  }

  /** Only the section's own entry, without falling back to DEFAULT. */
  ownEntry(section: string, key: string): IniEntry | undefined {
    return this.sections.get(section)?.get(key);
  }

  /** Set a value programmatically (jail arguments, overrides). */
  set(section: string, key: string, value: string, where: { file: string; line: number }): void {
    let target = this.sections.get(section);
    if (!target) {
      target = new Map();
      this.sections.set(section, target);
    }
    const prev = target.get(key);
    if (prev) target.set(`known/${key}`, prev);
    target.set(key, { value, ...where });
  }

  /**
   * The value with `%(name)s`, `%(section/name)s` and `%(known/name)s`
   * expanded in the context of `section`, like configparser's lazy
   * interpolation (DEFAULT values are expanded in the asking section).
   */
  get(section: string, key: string, known?: KnownValues): string | undefined {
    const e = this.entry(section, key);
    if (!e) return undefined;
    return this.interpolate(section, e.value, e, key, 0, known);
  }

  interpolate(section: string, value: string, at: IniEntry, key: string, depth: number, known?: KnownValues): string {
    if (!value.includes('%')) return value;
    if (depth > 40) {
      throw new ConfigError({ file: at.file, line: at.line, key }, 'interpolation nests too deep (a value refers to itself?)');
    }
    return value.replace(/%%|%\(([^)]+)\)s/g, (whole, ref: string | undefined) => {
      if (whole === '%%') return '%';
      const name = ref!;
      if (name === '__name__') return section;
      let refSection = section;
      let refKey = name;
      const slash = name.indexOf('/');
      if (slash > 0 && !name.startsWith('known/')) {
        refSection = name.slice(0, slash);
        refKey = name.slice(slash + 1);
        if (refSection.toLowerCase() === 'default') refSection = DEFAULT;
      }
      if (known !== undefined && refKey.startsWith('known/')) {
        const v = known(refKey.slice(6));
        if (v !== undefined) return v;
      }
      let target = this.entry(refSection, refKey);
      // `known/x` without an earlier value of x in the section is DEFAULT's x, as in fail2ban: not the
      // section's own x (sendmail's `__prefix_line = %(known/__prefix_line)s…` extends common.conf's).
      if (!target && refKey.startsWith('known/')) target = this.sections.get(DEFAULT)?.get(refKey.slice(6));
      if (!target) {
        throw new ConfigError({ file: at.file, line: at.line, key },
          `"%(${name})s" refers to an option that is not set in [${refSection}] or [DEFAULT]`);
      }
      // A self-reference (`x = %(x)s ...` in a .local) means the value it overrides.
      if (target === at && refKey === key) {
        const overridden = this.entry(refSection, `known/${refKey}`);
        if (!overridden) return '';
        target = overridden;
      }
      return this.interpolate(section, target.value, target, refKey, depth + 1, known);
    });
  }
}
