import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answers, CLI, cli, cliJson, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { skipNote } from '../support/skip-note.js';
import { MAX_LINE } from '../../src/daemon/protocol.js';

/** Sends raw bytes on the control socket; resolves with every reply line once the daemon closes or goes quiet. */
function raw(socket: string, payload: Buffer | string, quietMs = 300): Promise<{ replies: Array<{ ok: boolean; error?: { message: string } }>; closed: boolean }> {
  return new Promise((resolve) => {
    const c = createConnection(socket);
    let buf = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (closed: boolean) => {
      clearTimeout(timer);
      c.destroy();
      resolve({ replies: buf.split('\n').filter(Boolean).map((l) => JSON.parse(l)), closed });
    };
    const quiet = () => { clearTimeout(timer); timer = setTimeout(() => done(false), quietMs); };
    c.on('data', (d) => { buf += String(d); quiet(); });
    c.on('end', () => done(true));
    c.on('error', () => done(true));
    c.on('connect', () => { c.write(payload, () => quiet()); });
  });
}

describe('control socket and CLI arguments under hostile input (daemon)', () => {
  let dir: string;
  let cfg: string;
  let socket: string;
  let daemon: Daemon | undefined;
  const marker = () => join(dir, 'pwned');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bantop-ctl-'));
    chmodSync(dir, 0o755);
    socket = join(dir, 'bantop.sock');
    writeFileSync(join(dir, 'auth.log'), '');
    cfg = writeConfig(dir, {
      firewall: 'hostsdeny',
      // A jail enforced by an action.d command template: the one place bantop runs a shell.
      jails: `[DEFAULT]\nescalation = off\n[sshd]\nenabled = true\nlogpath = ${join(dir, 'auth.log')}\naction = record\n`,
    });
    mkdirSync(join(cfg, 'action.d'));
    writeFileSync(join(cfg, 'action.d', 'record.conf'),
      `[Definition]\nactionban = echo "ban <ip> <name>" >> ${join(dir, 'actions.log')}\nactionunban = echo "unban <ip> <name>" >> ${join(dir, 'actions.log')}\n`);
    daemon = await startDaemon(cfg, socket);
  }, 60_000);
  afterAll(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('malformed requests (binary, bad JSON, wrong shapes, deep nesting) each get an error reply, and the daemon carries on', async () => {
    const bad = [
      Buffer.from([0, 1, 2, 255, 254, 10]),
      '{"cmd":\n',
      '[]\n',
      'null\n',
      '"ban"\n',
      '{"cmd":"nope"}\n',
      '{"cmd":"ban","ip":12345}\n',
      '{"cmd":"ban","ip":"1.2.3.4","jail":{"$gt":""}}\n',
      '{"cmd":"ban","ip":"1.2.3.4","seconds":"1e999"}\n',
      `{"cmd":"status","x":${'['.repeat(5000)}${']'.repeat(5000)}}\n`,
      `${'{"cmd":"ping"}\n'.repeat(2000)}`,
    ];
    for (const b of bad) {
      const r = await raw(socket, b);
      expect(r.replies.length, String(b).slice(0, 40)).toBeGreaterThan(0);
    }
    const storm = await raw(socket, '{"cmd":"ping"}\n'.repeat(2000));
    expect(storm.replies).toHaveLength(2000);
    expect((await raw(socket, '{"cmd":"nope"}\n')).replies[0]).toMatchObject({ ok: false, error: { message: expect.stringMatching(/bad request/) } });
    expect(cliJson<unknown[]>(cfg, ['list'])).toEqual([]);
    expect(await answers(socket)).toBe(true);
  }, 60_000);

  it(`a request longer than ${MAX_LINE / 2 ** 20} MB is refused and its connection closed; other clients are served meanwhile`, async () => {
    const stalled = createConnection(socket);
    stalled.write('{"cmd":"ping"'); // half a request, never finished
    const big = Buffer.alloc(MAX_LINE + (1 << 20), 'a');
    const r = await raw(socket, big, 5000);
    expect(r.closed).toBe(true);
    expect(r.replies[0]?.error?.message).toMatch(/request longer than/);
    expect(await answers(socket)).toBe(true);
    stalled.destroy();
    expect(daemon!.proc.exitCode).toBeNull();
  }, 120_000);

  const notRoot = process.getuid?.() !== 0;
  it.skipIf(notRoot)(`a non-root user cannot use the socket: a clear error, nothing changes${skipNote(notRoot ? 'needs root to switch to another user' : null)}`, () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, '--config', cfg, 'ban', '10.1.2.3'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/permission denied on .*bantop\.sock/);
    expect(r.stderr).toMatch(/root-only/);
    const c = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e',
      `require('net').connect(${JSON.stringify(socket)}).on('error',e=>{console.log(e.code);process.exit(0)}).on('connect',()=>{console.log('connected');process.exit(0)})`], { encoding: 'utf8' });
    expect(c.stdout.trim()).toBe('EACCES');
    expect(cliJson<unknown[]>(cfg, ['list'])).toEqual([]);
  });

  it('IP and jail arguments with shell metacharacters are refused before any shell, on the CLI and on the socket', async () => {
    const m = marker();
    const evil = [`1.2.3.4;touch ${m}`, `$(touch ${m})`, `\`touch ${m}\``, `1.2.3.4 && touch ${m}`, `1.2.3.4|touch ${m}`, `1.2.3.4\ntouch ${m}`, `'; touch ${m}; '`];
    for (const e of evil) {
      for (const cmd of [['ban', e], ['permaban', e], ['unban', e], ['whitelist', 'add', e], ['ban', '10.9.9.9', '--jail', e], ['history', e]]) {
        const r = cli(cfg, cmd);
        expect(r.status, `${cmd.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(/^bantop: /);
      }
      const s = await raw(socket, JSON.stringify({ cmd: 'ban', ip: e, jail: 'sshd' }) + '\n' + JSON.stringify({ cmd: 'ban', ip: '10.9.9.9', jail: e }) + '\n');
      expect(s.replies.map((x) => x.ok)).toEqual([false, false]);
    }
    expect(existsSync(m)).toBe(false);
    // The action itself works: a real address goes through the template.
    expect(cli(cfg, ['ban', '10.9.9.9', '--jail', 'sshd']).status).toBe(0);
    expect(readFileSync(join(dir, 'actions.log'), 'utf8')).toBe('ban 10.9.9.9 sshd\n');
    expect(existsSync(m)).toBe(false);
  }, 60_000);
});
