import { describe, expect, it } from 'vitest';
import { key } from '../../../src/tui/keys.js';
import { promptKey } from '../../../src/tui/widgets/prompt.js';
import { unbanDialog, unbanKey, unbanPrompt } from '../../../src/tui/widgets/unban-dialog.js';

describe('prompt and unban dialog', () => {
  it('the prompt edits by character (a multi-byte one included), submits on Enter, cancels on Esc', () => {
    expect(promptKey('ab', key('c'))).toEqual({ kind: 'edit', text: 'abc' });
    expect(promptKey('a▸', key('', 'backspace'))).toEqual({ kind: 'edit', text: 'a' });
    expect(promptKey('ab', key('', 'tab'))).toEqual({ kind: 'edit', text: 'ab' });
    expect(promptKey('ab', key('', 'enter'))).toEqual({ kind: 'submit', text: 'ab' });
    expect(promptKey('ab', key('', 'escape'))).toEqual({ kind: 'cancel' });
  });

  it('the unban dialog names the jail "j" means, or says why there is none', () => {
    const one = unbanDialog('203.0.113.9', ['sshd'], null);
    expect(unbanPrompt(one)).toBe('Unban 203.0.113.9 (held by sshd): j = sshd only, e = everywhere, Esc = cancel');
    expect(unbanKey(one, key('j'))).toEqual({ action: { type: 'unban', ip: '203.0.113.9', jail: 'sshd' } });
    const two = unbanDialog('203.0.113.9', ['sshd', 'nginx'], null);
    expect(unbanKey(two, key('j')).message).toMatch(/held by sshd, nginx: pick a jail first/);
    expect(unbanKey(unbanDialog('203.0.113.9', ['sshd', 'nginx'], 'nginx'), key('j'))).toEqual({ action: { type: 'unban', ip: '203.0.113.9', jail: 'nginx' } });
    expect(unbanKey(two, key('e'))).toEqual({ action: { type: 'unban', ip: '203.0.113.9' } });
    expect(unbanKey(two, key('', 'escape'))).toEqual({ message: 'cancelled' });
  });
});
