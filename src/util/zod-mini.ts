/**
 * The zod/mini checks the CLI's entry needs, and nothing else: the build
 * bundles this module on its own (scripts/bundle.mjs), so the entry loads
 * 30 KB of zod instead of the 660 KB the classic API shares with it. The
 * commands that need the classic API load it with their own modules.
 */
export { coerce, int, maximum, minimum, minLength, optional, pipe, string, tuple } from 'zod/mini';
