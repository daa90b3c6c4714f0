import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFailures, cli, startDaemon, writeConfig, type Daemon } from '../support/daemon.js';
import { waitFor } from '../support/wait.js';

interface Received { ip: string; categories: string; comment: string; key: string | undefined }

/** A local AbuseIPDB stand-in on 127.0.0.1: records reports, and fails the first one for 203.0.113.62 with a 503. */
describe('the report action posts bans to an abuse database (local HTTP server)', () => {
  let server: Server;
  let dir: string;
  let cfg: string;
  let daemon: Daemon | undefined;
  const got: Received[] = [];
  let refusedOnce = false;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d) => { body += String(d); });
      req.on('end', () => {
        const form = new URLSearchParams(body);
        if (form.get('ip') === '203.0.113.62' && !refusedOnce) {
          refusedOnce = true;
          res.writeHead(503).end();
          return;
        }
        got.push({ ip: form.get('ip')!, categories: form.get('categories')!, comment: form.get('comment')!, key: req.headers['key'] as string | undefined });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"data":{}}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    dir = mkdtempSync(join(tmpdir(), 'bantop-report-'));
    writeFileSync(join(dir, 'auth.log'), '');
    cfg = writeConfig(dir, {
      firewall: 'dry-run',
      jails: `[sshd]
enabled = true
maxretry = 2
logpath = ${join(dir, 'auth.log')}
action = bantop
         report[url="http://127.0.0.1:${port}/api/v2/report", key="test-key", categories="18,22", comment="<name>: <failures> failures from <ip>"]
`,
    });
    daemon = await startDaemon(cfg, join(dir, 'bantop.sock'));
  }, 30_000);

  afterAll(async () => {
    await daemon?.stop();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports each ban with the key, categories and comment, retries a 503, and never sends private addresses', async () => {
    appendFailures(join(dir, 'auth.log'), '10.1.2.3', 2);
    appendFailures(join(dir, 'auth.log'), '203.0.113.61', 2);
    appendFailures(join(dir, 'auth.log'), '203.0.113.62', 2);
    await waitFor(() => got.some((r) => r.ip === '203.0.113.61'), 5000, 'the first report');
    expect(got.find((r) => r.ip === '203.0.113.61')).toEqual({ ip: '203.0.113.61', categories: '18,22', comment: 'sshd: 2 failures from 203.0.113.61', key: 'test-key' });
    // The 503 is retried after the backoff (1 s for the first retry).
    await waitFor(() => got.some((r) => r.ip === '203.0.113.62'), 8000, 'the retried report');
    expect(refusedOnce).toBe(true);
    // 10.1.2.3 was banned, but a private address is never reported.
    expect(cli(cfg, ['list']).stdout).toContain('10.1.2.3');
    expect(got.map((r) => r.ip)).not.toContain('10.1.2.3');
    expect(got.filter((r) => r.ip === '203.0.113.61')).toHaveLength(1);
  }, 30_000);

  it('a broken report config names the file, line and field', () => {
    const badDir = mkdtempSync(join(tmpdir(), 'bantop-report-bad-'));
    const bad = writeConfig(badDir, {
      firewall: 'dry-run',
      jails: `[sshd]\nenabled = true\nlogpath = ${join(dir, 'auth.log')}\naction = report[key="k", categories="ssh"]\n`,
    });
    let r: ReturnType<typeof cli>;
    try {
      r = cli(bad, ['config', 'check']);
    } finally {
      rmSync(badDir, { recursive: true, force: true });
    }
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/jail\.conf:line 4 \[action\]: jail "sshd": report\[categories\]: categories is a comma-separated list of numbers/);
  });
});
