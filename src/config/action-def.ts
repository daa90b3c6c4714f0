import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../util/errors.js';
import { ConfigStore } from './store.js';
import { fileSectionTags, substituteTags } from './tags.js';

export const ACTION_COMMANDS = ['actionstart', 'actionstop', 'actioncheck', 'actionban', 'actionunban', 'actionflush'] as const;
export type ActionCommand = (typeof ACTION_COMMANDS)[number];

/** A fail2ban action.d file with its static tags filled in; `<ip>` and the other per-ban tags remain. */
export interface ResolvedAction {
  name: string;
  file: string;
  commands: Partial<Record<ActionCommand, string>>;
}

/**
 * Resolve `action.d/NAME.conf` for a jail: jail-side arguments override [Init],
 * which overrides [Definition]; `<name>`, `<port>` and `<protocol>` default to
 * the jail's values as fail2ban passes them.
 */
export function resolveAction(configDir: string, name: string, args: Record<string, string>, jail: Record<string, string>,
  where: { file: string; line?: number | undefined; key: string }): ResolvedAction {
  const dir = join(configDir, 'action.d');
  if (!existsSync(join(dir, `${name}.conf`)) && !existsSync(join(dir, `${name}.local`))) {
    throw new ConfigError(where, `action "${name}" not found in ${dir}`, 'check the action name');
  }
  const store = new ConfigStore();
  store.readFamily(dir, name);
  const file = join(dir, `${name}.conf`);
  const raw = (key: string): string | undefined => {
    if (key in args) return args[key];
    const init = store.ownEntry('Init', key);
    if (init) return store.interpolate('Init', init.value, init, key, 0);
    const def = store.get('Definition', key);
    if (def !== undefined) return def;
    return jail[key];
  };
  const commands: Partial<Record<ActionCommand, string>> = {};
  for (const c of ACTION_COMMANDS) {
    const v = raw(c);
    if (v === undefined || v.trim() === '') continue;
    const e = store.entry('Definition', c);
    commands[c] = substituteTags(v, {
      own: raw,
      other: fileSectionTags(store, raw),
      where: { file: e?.file ?? file, line: e?.line },
    }, c).trim();
  }
  return { name, file, commands };
}
