import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, CLI, writeConfig } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

/** fail2ban.conf's `dbfile = None` turns its database off; an existing /etc/fail2ban may say so. */
describe('bantop serve with dbfile = None', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('keeps its state in memory (no file named None), says so in status, and gets permanent bans back from the blocklist file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-nodb-'));
    const cwd = join(dir, 'cwd');
    const cfg = writeConfig(dir, { firewall: 'dry-run', jails: `[sshd]\nenabled = true\nlogpath = ${join(dir, 'auth.log')}\n` });
    writeFileSync(join(dir, 'auth.log'), '');
    writeFileSync(join(cfg, 'bantop.conf'), readFileSync(join(cfg, 'bantop.conf'), 'utf8').replace(/^dbfile = .*$/m, 'dbfile = None'));
    mkdirSync(cwd);
    const start = async () => {
      const proc = spawn(process.execPath, [CLI, '--config', cfg, 'serve'], { cwd, stdio: 'ignore' });
      const exited = new Promise((r) => proc.once('exit', r));
      await waitFor(() => cli(cfg, ['status']).status === 0, 15_000, 'the daemon to answer');
      return async () => {
        proc.kill('SIGTERM');
        await exited;
      };
    };
    let stop = await start();
    try {
      expect(cli(cfg, ['status']).stdout).toMatch(/dbfile = None: no ban database/);
      expect(cli(cfg, ['ban', '198.51.100.7', '--jail', 'sshd']).status).toBe(0);
      expect(cli(cfg, ['permaban', '198.51.100.8']).status).toBe(0);
      expect(cli(cfg, ['list']).stdout).toMatch(/198\.51\.100\.7[\s\S]*198\.51\.100\.8|198\.51\.100\.8[\s\S]*198\.51\.100\.7/);
      await stop();
      // Nothing went to disk under the name "None" (where the daemon runs, or where its config is).
      expect(readdirSync(cwd)).toEqual([]);
      expect(existsSync(join(cfg, 'None'))).toBe(false);
      stop = await start();
      const list = cli(cfg, ['list']).stdout;
      expect(list).toContain('198.51.100.8');
      expect(list).not.toContain('198.51.100.7');
    } finally {
      await stop();
    }
  }, 60_000);
});
