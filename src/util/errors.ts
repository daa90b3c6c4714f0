/**
 * Two kinds of failure, kept apart on purpose: a UserError is something the
 * operator can fix (bad config, bad argument) and is printed as a message plus
 * a next step, never a stack. Anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(message: string, opts: { hint?: string; exitCode?: number } = {}) {
    super(message);
    this.name = 'UserError';
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 2;
  }
}

/** Where in the config a problem sits; every config error names all three. */
export interface ConfigLocation {
  file: string;
  line?: number | undefined;
  key?: string | undefined;
}

export class ConfigError extends UserError {
  readonly location: ConfigLocation;
  constructor(location: ConfigLocation, problem: string, hint?: string) {
    const where = [location.file, location.line !== undefined ? `line ${location.line}` : undefined]
      .filter(Boolean)
      .join(':');
    const key = location.key !== undefined ? ` [${location.key}]` : '';
    super(`${where}${key}: ${problem}`, { hint: hint ?? 'fix the config and run the command again', exitCode: 2 });
    this.name = 'ConfigError';
    this.location = location;
  }
}

/** A Python regex construct that has no JavaScript equivalent we can build. */
export class RegexTranslationError extends UserError {
  /** What is wrong, without the pattern (a caller that shows the pattern its own way). */
  readonly problem: string;
  constructor(pattern: string, problem: string) {
    super(`cannot translate regex: ${problem}\n  in: ${pattern.length > 200 ? pattern.slice(0, 200) + '…' : pattern}`, {
      hint: 'rewrite this part of the filter without the construct',
    });
    this.name = 'RegexTranslationError';
    this.problem = problem;
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
