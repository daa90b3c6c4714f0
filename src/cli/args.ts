import { z } from 'zod';
import { UserError } from '../util/errors.js';

export { parseArgv, type OptionSpec, type ParsedArgs } from './argv.js';

/** Checks a parsed argument with zod, so a bad one names itself and exits 2. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw new UserError(`${what}: ${field}${issue.message}`, { hint: 'run "bantop --help" for usage' });
}
