import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostsDenyBackend } from '../../src/firewall/hostsdeny.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'bantop-hd-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('hostsdeny backend', () => {
  it('adds one tagged line per target and address, touches no other line, and reads its own lines back', async () => {
    const path = join(dir, 'hosts.deny');
    writeFileSync(path, '# local policy\nsshd: 10.9.9.9\n');
    const b = new HostsDenyBackend(path);
    await b.setup([{ key: 'sshd', ports: { all: true }, protocol: 'all' }]);
    await b.apply([
      { op: 'add', target: 'sshd', ip: '192.0.2.1' },
      { op: 'add', target: 'sshd', ip: '192.0.2.1' },
      { op: 'add', target: 'sshd', ip: '2001:db8::/48' },
    ]);
    expect(readFileSync(path, 'utf8')).toBe('# local policy\nsshd: 10.9.9.9\nALL: 192.0.2.1  # bantop sshd\nALL: [2001:db8::]/48  # bantop sshd\n');
    expect([...(await b.read()).get('sshd')!]).toEqual(['192.0.2.1', '2001:db8::/48']);
    await b.apply([{ op: 'del', target: 'sshd', ip: '192.0.2.1' }]);
    await b.teardown();
    expect(readFileSync(path, 'utf8')).toBe('# local policy\nsshd: 10.9.9.9\n');
  });
});
