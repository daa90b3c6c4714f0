import { createHash } from 'node:crypto';
import { PERMANENT } from './types.js';

/**
 * A firewall object name for a target, within `max` characters and using only
 * `[A-Za-z0-9_-]`. A jail name that had to be changed or cut gets a short hash,
 * so two jails never share an object.
 */
export function objectName(prefix: string, key: string, max: number, allowDash = true): string {
  const core = key === PERMANENT ? 'perm' : key;
  const clean = core.replace(allowDash ? /[^A-Za-z0-9_-]/g : /[^A-Za-z0-9_]/g, '_');
  let name = `${prefix}${clean}`;
  if (clean !== core || name.length > max || (key !== PERMANENT && core === 'perm')) {
    const h = createHash('sha1').update(key).digest('hex').slice(0, 6);
    name = `${prefix}${clean.slice(0, Math.max(1, max - prefix.length - 7))}_${h}`;
  }
  return name;
}
