import { basename, dirname, join } from 'node:path';

/**
 * fail2ban log paths may be globs in the last component (`/var/log/nginx/*error.log`,
 * `/var/log/fail2ban*`). chokidar no longer expands globs, so we watch the directory
 * and match names with this.
 */
export function splitLogPath(path: string): { path: string; dir: string; match: (name: string) => boolean; isGlob: boolean } {
  const dir = dirname(path);
  const base = basename(path);
  if (/[*?[]/.test(dir)) throw new Error(`glob characters are only supported in the file name: ${path}`);
  // Normalised the way chokidar reports it (`./auth.log` -> `auth.log`), so events find the tracked file.
  if (!/[*?[]/.test(base)) return { path: join(dir, base), dir, match: (n) => n === base, isGlob: false };
  let re = '^';
  for (let i = 0; i < base.length; i++) {
    const c = base[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = base.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += '[' + base.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  const rx = new RegExp(re + '$');
  return { path, dir, match: (n) => rx.test(n), isGlob: true };
}
