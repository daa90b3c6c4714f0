import type { $ZodType, output, util } from 'zod/v4/core';
import { UserError } from '../util/errors.js';

export { parseArgv, type OptionSpec, type ParsedArgs } from './argv.js';

/**
 * Checks a parsed argument with zod, so a bad one names itself and exits 2.
 * Any zod schema: the classic API's, or zod/mini's where a command must
 * start fast (app.ts).
 */
export function validate<T extends $ZodType & { safeParse(data: unknown): util.SafeParseResult<output<T>> }>(schema: T, value: unknown, what: string): output<T> {
  // The schema's own method: this module loads no zod of its own.
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw new UserError(`${what}: ${field}${issue.message}`, { hint: 'run "bantop --help" for usage' });
}
