import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, writeConfig, type Daemon } from '../support/daemon.js';

let dir: string;
let socket: string;
let daemon: Daemon;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bantop-sock-'));
  socket = join(dir, 'bantop.sock');
  writeFileSync(join(dir, 'auth.log'), '');
  const cfg = writeConfig(dir, { firewall: 'dry-run', jails: `[sshd]\nenabled = true\nlogpath = ${join(dir, 'auth.log')}\n` });
  daemon = await startDaemon(cfg, socket);
}, 30_000);

afterAll(async () => {
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One connection, many lines: collect one reply per line sent. */
async function converse(lines: string[], conn?: Socket): Promise<Array<Record<string, unknown>>> {
  const c = conn ?? createConnection(socket);
  const replies: Array<Record<string, unknown>> = [];
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    c.on('data', (d) => {
      buf += String(d);
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        replies.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        buf = buf.slice(nl + 1);
        if (replies.length === lines.length) resolve();
      }
    });
    c.on('error', reject);
    c.write(lines.map((l) => l + '\n').join(''));
  });
  if (!conn) c.destroy();
  return replies;
}

describe('control socket', () => {
  it('is a 0600 Unix socket', () => {
    const st = statSync(socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('answers malformed requests with an error and keeps the connection and the daemon going', async () => {
    const replies = await converse([
      'this is not json',
      '{"id": 1, "cmd": "launch-missiles"}',
      '{"id": 2, "cmd": "ban", "ip": 12345}',
      '{"id": 3, "cmd": "ban", "ip": "1.2.3.4", "seconds": 0}',
      '{"id": 4, "cmd": "ban", "ip": "1.2.3.4; rm -rf /"}',
      '{"id": 5, "cmd": "ban", "ip": "1.2.3.4", "jail": "../../etc"}',
      '[1, 2, 3]',
      '{"id": 6, "cmd": "ban", "ip": "1.2.3.4", "jail": "nope"}',
      `{"id": 7, "cmd": "status", "jail": "${'x'.repeat(5000)}"}`,
      '{"id": 8, "cmd": "ping"}',
    ]);
    expect(replies.map((r) => r['ok'])).toEqual([false, false, false, false, false, false, false, false, false, true]);
    expect(replies[0]).toMatchObject({ id: null, error: { kind: 'user', message: expect.stringMatching(/not JSON/) } });
    expect(replies[1]).toMatchObject({ id: 1, error: { message: expect.stringMatching(/bad request: \[cmd\]/) } });
    expect(replies[2]).toMatchObject({ id: 2, error: { message: expect.stringMatching(/\[ip\]/) } });
    expect(replies[4]).toMatchObject({ id: 4, error: { kind: 'user', message: expect.stringMatching(/not an IP address or CIDR/) } });
    expect(replies[7]).toMatchObject({ id: 6, error: { kind: 'user', message: 'unknown jail "nope"' } });
    expect(replies[9]).toMatchObject({ id: 8, ok: true, result: { pong: true } });
    // Nothing was banned by any of it.
    const [list] = await converse(['{"cmd": "list"}']);
    expect(list).toMatchObject({ ok: true, result: [] });
  });

  it('serves several clients at once and streams live events to a subscriber', async () => {
    const sub = createConnection(socket);
    const events: Array<Record<string, unknown>> = [];
    let buf = '';
    sub.on('data', (d) => {
      buf += String(d);
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const o = JSON.parse(buf.slice(0, nl)) as { event?: Record<string, unknown> };
        if (o.event) events.push(o.event);
        buf = buf.slice(nl + 1);
      }
    });
    sub.write('{"id": "s", "cmd": "subscribe"}\n');
    await new Promise((r) => setTimeout(r, 100));
    const [ban] = await converse(['{"id": 1, "cmd": "ban", "ip": "203.0.113.9", "seconds": 60}']);
    expect(ban).toMatchObject({ ok: true, result: { ip: '203.0.113.9', jail: 'manual', source: 'manual' } });
    await converse(['{"id": 2, "cmd": "unban", "ip": "203.0.113.9"}']);
    for (let i = 0; i < 50 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    sub.destroy();
    expect(events.map((e) => `${e['type']} ${e['ip']}`)).toEqual(['ban 203.0.113.9', 'unban 203.0.113.9']);
  });
});
