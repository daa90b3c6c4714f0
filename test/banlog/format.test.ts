import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatBanLogLine } from '../../src/banlog/format.js';
import { BanLogWriter } from '../../src/banlog/writer.js';

const T = new Date(2023, 5, 12, 10, 0, 0, 123).getTime();

describe('ban log formats', () => {
  it('plain: the issue\'s exact lines, with the port rule when the filter named one', () => {
    expect(formatBanLogLine({ kind: 'ban', time: T, jail: 'closed-ports', ip: '192.168.0.1', bantime: -1, rule: 'http-blocked-port-80' }, 'plain', 1))
      .toBe('[2023-06-12] [http-blocked-port-80] [192.168.0.1] Host banned permanently.');
    expect(formatBanLogLine({ kind: 'ban', time: T, jail: 'sshd', ip: '192.168.0.1', bantime: 600 }, 'plain', 1))
      .toBe('[2023-06-12] [sshd] [192.168.0.1] Host banned for 10m.');
    expect(formatBanLogLine({ kind: 'unban', time: T, jail: 'sshd', ip: '2001:db8::1' }, 'plain', 1))
      .toBe('[2023-06-12] [sshd] [2001:db8::1] Host unbanned.');
  });

  it('fail2ban: the fail2ban.log line its recidive filter reads', () => {
    expect(formatBanLogLine({ kind: 'ban', time: T, jail: 'sshd', ip: '192.168.0.1', bantime: 600 }, 'fail2ban', 1234))
      .toBe('2023-06-12 10:00:00,123 fail2ban.actions [1234]: NOTICE [sshd] Ban 192.168.0.1');
    expect(formatBanLogLine({ kind: 'unban', time: T, jail: 'sshd', ip: '192.168.0.1' }, 'fail2ban', 1234))
      .toBe('2023-06-12 10:00:00,123 fail2ban.actions [1234]: NOTICE [sshd] Unban 192.168.0.1');
  });

  it('the writer batches a burst into one append and follows a rotated file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bantop-banlog-'));
    const path = join(dir, 'bans.log');
    const w = new BanLogWriter(path, 'plain', () => {});
    for (let i = 0; i < 3; i++) w.append({ kind: 'ban', time: T, jail: 'sshd', ip: `203.0.113.${i}`, bantime: 60 });
    await new Promise((r) => setImmediate(r));
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
    renameSync(path, `${path}.1`);
    w.append({ kind: 'unban', time: T, jail: 'sshd', ip: '203.0.113.0' });
    w.flush();
    expect(readFileSync(path, 'utf8')).toBe('[2023-06-12] [sshd] [203.0.113.0] Host unbanned.\n');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a log it cannot write is reported once and never throws', () => {
    const errors: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'bantop-banlog-'));
    writeFileSync(join(dir, 'file'), '');
    // A path under a regular file: ENOTDIR, like a disk or directory gone bad.
    const w = new BanLogWriter(join(dir, 'file', 'bans.log'), 'plain', (m) => errors.push(m));
    w.append({ kind: 'ban', time: T, jail: 'sshd', ip: '203.0.113.1', bantime: 60 });
    w.flush();
    w.append({ kind: 'ban', time: T, jail: 'sshd', ip: '203.0.113.2', bantime: 60 });
    w.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/cannot write the ban log/);
    rmSync(dir, { recursive: true, force: true });
  });
});
