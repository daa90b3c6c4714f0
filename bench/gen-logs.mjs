// Deterministic log generators for the compatibility tests and `npm run bench`.
// Same seed, same bytes: runs compare across machines and days.
import { createWriteStream } from 'node:fs';

export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n, w = 2) => String(n).padStart(w, '0');

function addressPool(r, n, v6share = 0.08) {
  const pool = [];
  for (let i = 0; i < n; i++) {
    if (r() < v6share) pool.push(`2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}::${(1 + Math.floor(r() * 0xfffe)).toString(16)}`);
    else pool.push(`${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`);
  }
  return pool;
}

const USERS = ['root', 'admin', 'test', 'oracle', 'ubuntu', 'git', 'postgres', 'user', 'pi', 'ftpuser', 'deploy'];

/** sshd in a syslog auth.log: ~30% failures, the rest sessions, noise and a few hostile lines. */
export function* sshdLines(count, { seed = 1, addresses = 50_000, start = Date.UTC(2026, 10, 1) } = {}) {
  const r = rng(seed);
  const pool = addressPool(r, addresses);
  let t = start;
  let pid = 1000;
  for (let i = 0; i < count; i++) {
    t += Math.floor(r() * 400);
    const d = new Date(t);
    const ts = `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const ip = pool[Math.floor(r() * pool.length)];
    const user = USERS[Math.floor(r() * USERS.length)];
    const port = 1024 + Math.floor(r() * 60000);
    const p = (pid = (pid + 1 + Math.floor(r() * 3)) % 60000 + 1000);
    const x = r();
    const h = `${ts} web1 sshd[${p}]:`;
    if (x < 0.16) yield `${h} Failed password for ${user} from ${ip} port ${port} ssh2`;
    else if (x < 0.22) yield `${h} Failed password for invalid user ${user} from ${ip} port ${port} ssh2`;
    else if (x < 0.27) yield `${h} Invalid user ${user} from ${ip} port ${port}`;
    else if (x < 0.30) yield `${h} pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`;
    else if (x < 0.33) yield `${h} error: maximum authentication attempts exceeded for ${user} from ${ip} port ${port} ssh2 [preauth]`;
    else if (x < 0.40) yield `${h} Connection closed by ${ip} port ${port} [preauth]`;
    else if (x < 0.45) yield `${h} Accepted publickey for ${user} from ${ip} port ${port} ssh2: RSA SHA256:abcdef${i % 97}`;
    else if (x < 0.50) yield `${h} Received disconnect from ${ip} port ${port}:11: Bye Bye [preauth]`;
    else if (x < 0.53) yield `${h} Disconnected from authenticating user ${user} ${ip} port ${port} [preauth]`;
    else if (x < 0.56) yield `${h} pam_unix(sshd:session): session opened for user ${user}(uid=1000) by (uid=0)`;
    else if (x < 0.58) yield `${h} User ${user} from ${ip} not allowed because not listed in AllowUsers`;
    else if (x < 0.59) yield `${h} Failed password for invalid user root from 8.8.8.8 port 22 ssh2 from ${ip} port ${port} ssh2`;
    else if (x < 0.60) yield `${h} Did not receive identification string from ${ip} port ${port}`;
    else if (x < 0.61) yield `${h} Unable to negotiate with ${ip} port ${port}: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1`;
    else if (x < 0.80) yield `${ts} web1 CRON[${p}]: pam_unix(cron:session): session closed for user root`;
    else if (x < 0.95) yield `${ts} web1 systemd[1]: Started session ${i % 5000} of user ${user}.`;
    else yield `${ts} web1 kernel: [${(i / 10).toFixed(6)}] audit: type=1400 apparmor="STATUS" profile="x"`;
  }
}

/** nginx access log (combined format) with scanner probes for nginx-botsearch. */
export function* nginxAccessLines(count, { seed = 2, addresses = 50_000, start = Date.UTC(2026, 10, 1) } = {}) {
  const r = rng(seed);
  const pool = addressPool(r, addresses);
  const probes = ['/phpmyadmin/', '/wp-login.php', '/admin/config.php', '/pma/', '/cgi-bin/test.cgi', '/.env', '/mysql/admin/'];
  const pages = ['/', '/index.html', '/about', '/static/app.js', '/api/items?page=2', '/favicon.ico'];
  let t = start;
  for (let i = 0; i < count; i++) {
    t += Math.floor(r() * 300);
    const d = new Date(t);
    const ts = `${pad(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
    const ip = pool[Math.floor(r() * pool.length)];
    const probe = r() < 0.3;
    const path = probe ? probes[Math.floor(r() * probes.length)] : pages[Math.floor(r() * pages.length)];
    const status = probe ? 404 : r() < 0.9 ? 200 : 304;
    yield `${ip} - - [${ts}] "GET ${path} HTTP/1.1" ${status} ${Math.floor(r() * 5000)} "-" "Mozilla/5.0 (X11; Linux x86_64)"`;
  }
}

/** nginx error log with basic-auth failures for nginx-http-auth. */
export function* nginxErrorLines(count, { seed = 3, addresses = 5_000, start = Date.UTC(2026, 10, 1) } = {}) {
  const r = rng(seed);
  const pool = addressPool(r, addresses, 0);
  let t = start;
  for (let i = 0; i < count; i++) {
    t += Math.floor(r() * 2000);
    const d = new Date(t);
    const ts = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const ip = pool[Math.floor(r() * pool.length)];
    const user = USERS[Math.floor(r() * USERS.length)];
    const x = r();
    if (x < 0.4) yield `${ts} [error] 812#812: *${i} user "${user}": password mismatch, client: ${ip}, server: example.com, request: "GET /private/ HTTP/1.1", host: "example.com"`;
    else if (x < 0.6) yield `${ts} [error] 812#812: *${i} user "${user}" was not found in "/etc/nginx/.htpasswd", client: ${ip}, server: example.com, request: "GET /private/ HTTP/1.1", host: "example.com"`;
    else if (x < 0.7) yield `${ts} [error] 812#812: *${i} no user/password was provided for basic authentication, client: ${ip}, server: example.com, request: "GET /private/ HTTP/1.1", host: "example.com"`;
    else yield `${ts} [error] 812#812: *${i} open() "/var/www/html/missing${i % 50}" failed (2: No such file or directory), client: ${ip}, server: example.com, request: "GET /missing HTTP/1.1", host: "example.com"`;
  }
}

/** postfix and dovecot in mail.log. */
export function* mailLines(count, { seed = 4, addresses = 5_000, start = Date.UTC(2026, 10, 1) } = {}) {
  const r = rng(seed);
  const pool = addressPool(r, addresses, 0.05);
  let t = start;
  for (let i = 0; i < count; i++) {
    t += Math.floor(r() * 2000);
    const d = new Date(t);
    const ts = `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const ip = pool[Math.floor(r() * pool.length)];
    const user = USERS[Math.floor(r() * USERS.length)];
    const p = 2000 + (i % 5000);
    const x = r();
    if (x < 0.2) yield `${ts} mail postfix/smtpd[${p}]: warning: unknown[${ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`;
    else if (x < 0.35) yield `${ts} mail postfix/smtpd[${p}]: NOQUEUE: reject: RCPT from unknown[${ip}]: 554 5.7.1 <spam@example.net>: Relay access denied; from=<a@b.example> to=<spam@example.net> proto=ESMTP helo=<x>`;
    else if (x < 0.45) yield `${ts} mail postfix/smtpd[${p}]: connect from unknown[${ip}]`;
    else if (x < 0.55) yield `${ts} mail postfix/smtpd[${p}]: disconnect from unknown[${ip}] ehlo=1 auth=0/1 quit=1 commands=2/3`;
    else if (x < 0.75) yield `${ts} mail dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<${user}>, method=PLAIN, rip=${ip}, lip=10.0.0.1, TLS, session=<s${i}>`;
    else if (x < 0.85) yield `${ts} mail dovecot: auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=${user} rhost=${ip}  user=${user}`;
    else yield `${ts} mail dovecot: imap-login: Login: user=<${user}>, method=PLAIN, rip=${ip}, lip=10.0.0.1, mpid=${p}, TLS, session=<s${i}>`;
  }
}

export const GENERATORS = { sshd: sshdLines, 'nginx-access': nginxAccessLines, 'nginx-error': nginxErrorLines, mail: mailLines };

/** Write `count` lines of a generator to a file; resolves when flushed. */
export async function writeLog(path, gen, count, opts) {
  const out = createWriteStream(path);
  let buf = '';
  for (const line of gen(count, opts)) {
    buf += line + '\n';
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise((res) => out.once('drain', res));
      buf = '';
    }
  }
  out.write(buf);
  await new Promise((res, rej) => out.end((e) => (e ? rej(e) : res())));
}
