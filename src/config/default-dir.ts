import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the configuration lives when `--config` is not given. A module of its
 * own, with no imports of weight: `bantop regex`'s second thread finds its
 * filter before the rest of the CLI (zod among it) has loaded.
 */
export const DEFAULT_CONFIG_DIR = '/etc/bantop';

/** bantop's own defaults, shipped in assets/. */
export const SHIPPED_CONFIG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'assets', 'config');

/** /etc/bantop, else the shipped defaults. */
export function defaultConfigDir(): string {
  return existsSync(DEFAULT_CONFIG_DIR) ? DEFAULT_CONFIG_DIR : SHIPPED_CONFIG;
}

/** The directory the command line names, or the default. */
export function configDirOf(options: Record<string, string | boolean>): string {
  return typeof options['config'] === 'string' ? options['config'] : defaultConfigDir();
}
