import { appendFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The built-in attack simulator for `bantop --demo`: realistic sshd, nginx and
 * kernel closed-port LOG lines at a variable rate with bursts, a few repeat
 * offenders that come back until escalation makes them permanent, benign
 * traffic that never matches, and some IPv6. Addresses come from the
 * documentation ranges (RFC 5737, RFC 3849), never a real host.
 */
export const DEMO_LOGS = ['auth.log', 'nginx-error.log', 'nginx-access.log', 'kern.log'] as const;

export function writeDemoConfig(dir: string, filterDir: string): string {
  const cfg = join(dir, 'config');
  mkdirSync(cfg, { recursive: true });
  symlinkSync(filterDir, join(cfg, 'filter.d'));
  for (const l of DEMO_LOGS) writeFileSync(join(dir, l), '');
  writeFileSync(join(cfg, 'bantop.conf'), `[Definition]
loglevel = INFO
logtarget = ${join(dir, 'bantop.log')}
socket = ${join(dir, 'bantop.sock')}
pidfile = ${join(dir, 'bantop.pid')}
dbfile = ${join(dir, 'bantop.sqlite3')}
firewall = dry-run
banlog = ${join(dir, 'bans.log')}
blocklist = ${join(dir, 'blocklist')}
`);
  writeFileSync(join(cfg, 'jail.conf'), `# bantop --demo: simulated logs, dry-run firewall, temporary state.
[DEFAULT]
bantime = 2m
findtime = 10m
maxretry = 5
# Quick escalation, so repeat offenders turn permanent within minutes.
escalation = 3/15m:30m 4/30m:permanent
banaction = bantop

[sshd]
enabled = true
port = ssh
logpath = ${join(dir, 'auth.log')}

[nginx-http-auth]
enabled = true
port = http,https
logpath = ${join(dir, 'nginx-error.log')}

[nginx-botsearch]
enabled = true
port = http,https
maxretry = 2
logpath = ${join(dir, 'nginx-access.log')}

[closed-ports]
enabled = true
port = 0:65535
protocol = all
maxretry = 3
bantime = 5m
logpath = ${join(dir, 'kern.log')}
`);
  return cfg;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const syslogTime = (d: Date) => `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
const nginxErrTime = (d: Date) => `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
function accessTime(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
}

const USERS = ['root', 'admin', 'oracle', 'test', 'ubuntu', 'postgres', 'git', 'deploy', 'pi', 'user'];
const PROBES = ['/wp-login.php', '/.env', '/phpmyadmin/index.php', '/.git/config', '/xmlrpc.php', '/cgi-bin/luci', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php'];
const PORTS: Array<[number, string, string]> = [[23, 'telnet', 'TCP'], [3306, 'mysql', 'TCP'], [3389, 'rdp', 'TCP'], [6379, 'redis', 'TCP'], [5432, 'postgres', 'TCP'], [161, 'snmp', 'UDP']];

export class AttackSimulator {
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;
  private readonly repeaters: string[];
  lines = 0;

  constructor(private readonly dir: string, private readonly random: () => number = Math.random, private readonly baseRate = 40, private readonly steady = false) {
    this.repeaters = ['203.0.113.66', '198.51.100.13', '2001:db8:bad::1', '203.0.113.200'];
  }

  private pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.random() * a.length)]!;
  }

  private attacker(): string {
    const r = this.random();
    if (r < 0.15) return this.pick(this.repeaters);
    // Steady (the bench): a fixed pool of 1,000 IPv6 sources, so the engine's per-address state reaches a plateau
    // and what is measured is the TUI; the waves of the demo draw from 16 million.
    if (r < 0.3) return this.steady ? `2001:db8:${Math.floor(this.random() * 1000).toString(16)}::1`
      : `2001:db8:${Math.floor(this.random() * 0xffff).toString(16)}::${Math.floor(this.random() * 0xff).toString(16)}`;
    return `${this.random() < 0.5 ? '203.0.113' : '198.51.100'}.${1 + Math.floor(this.random() * 250)}`;
  }

  start(intervalMs = 100): void {
    this.timer = setInterval(() => this.step(intervalMs), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One batch: the rate swings between quiet and a burst every half minute or so. */
  step(intervalMs = 100): void {
    this.tick++;
    const swing = 1 + Math.sin(this.tick / 50) * 0.8;
    const burst = this.tick % 300 < 30 ? 6 : 1;
    const n = this.steady ? Math.round(this.baseRate * intervalMs / 1000)
      : Math.max(1, Math.round((this.baseRate * intervalMs / 1000) * swing * burst * (0.5 + this.random())));
    const out: Record<string, string> = { 'auth.log': '', 'nginx-error.log': '', 'nginx-access.log': '', 'kern.log': '' };
    const d = new Date();
    for (let i = 0; i < n; i++) {
      const ip = this.attacker();
      const kind = this.random();
      const pid = 1000 + Math.floor(this.random() * 30000);
      if (kind < 0.45) {
        const user = this.pick(USERS);
        out['auth.log'] += this.random() < 0.15
          ? `${syslogTime(d)} demo sshd[${pid}]: Accepted publickey for deploy from 198.51.100.10 port ${40000 + pid % 20000} ssh2: ED25519 SHA256:demo\n`
          : `${syslogTime(d)} demo sshd[${pid}]: Failed password for ${this.random() < 0.5 ? 'invalid user ' : ''}${user} from ${ip} port ${30000 + pid % 30000} ssh2\n`;
      } else if (kind < 0.6) {
        out['nginx-error.log'] += `${nginxErrTime(d)} [error] ${pid}#${pid}: *${this.tick} user "${this.pick(USERS)}": password mismatch, client: ${ip}, server: demo.example, request: "GET /admin/ HTTP/1.1", host: "demo.example"\n`;
      } else if (kind < 0.85) {
        const benign = this.random() < 0.4;
        const path = benign ? this.pick(['/', '/index.html', '/css/site.css', '/about']) : this.pick(PROBES);
        out['nginx-access.log'] += `${benign ? '198.51.100.20' : ip} - - [${accessTime(d)}] "GET ${path} HTTP/1.1" ${benign ? 200 : 404} ${benign ? 5120 : 162} "-" "Mozilla/5.0 (demo)"\n`;
      } else {
        const [port, name, proto] = this.pick(PORTS);
        const v6 = ip.includes(':');
        out['kern.log'] += `${syslogTime(d)} demo kernel: [${(this.tick / 10).toFixed(6).padStart(12)}] [${name}-blocked-port-${port}] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 ` +
          `SRC=${ip} DST=${v6 ? '2001:db8::1' : '192.0.2.10'} LEN=60 ${v6 ? 'TC=0 HOPLIMIT=52 FLOWLBL=0' : 'TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF'} PROTO=${proto} SPT=${40000 + pid % 20000} DPT=${port} ${proto === 'TCP' ? 'WINDOW=64240 RES=0x00 SYN URGP=0' : 'LEN=40'}\n`;
      }
      this.lines++;
    }
    for (const [file, text] of Object.entries(out)) if (text) appendFileSync(join(this.dir, file), text);
  }
}
