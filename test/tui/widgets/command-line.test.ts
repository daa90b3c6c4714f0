import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/tui/widgets/command-line.js';

describe('command line', () => {
  it('parses :ban, :q and aliases, and names the commands it knows on a typo', () => {
    expect(parseCommand('ban 1.2.3.4 1h')).toEqual({ name: 'ban', args: ['1.2.3.4', '1h'] });
    expect(parseCommand('q')).toEqual({ name: 'quit', args: [] });
    expect(parseCommand('WL 10.0.0.0/8')).toEqual({ name: 'whitelist', args: ['10.0.0.0/8'] });
    expect(parseCommand('frob')).toMatch(/unknown command ":frob" \(try :ban IP/);
  });
});
