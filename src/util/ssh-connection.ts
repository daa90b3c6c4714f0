import { normalizeIp } from './ip.js';

export interface OperatorConnection {
  ip: string;
  /** Names the connection in a refusal: "the SSH connection from 198.51.100.7 port 50514 to 192.0.2.2 port 22 (bantop serve)". */
  label: string;
}

/**
 * The operator's address from `SSH_CONNECTION` ("client port server port") or
 * the older `SSH_CLIENT` ("client port server-port"); null when not under SSH.
 */
export function sshOperator(env: NodeJS.ProcessEnv, who: string): OperatorConnection | null {
  const text = sshConnection(env);
  return text ? parseSshConnection(text, who) : null;
}

/** The raw SSH_CONNECTION (or SSH_CLIENT) this process runs under, as clients send it to the daemon. */
export function sshConnection(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env['SSH_CONNECTION'] ?? env['SSH_CLIENT'];
}

export function parseSshConnection(text: string, who: string): OperatorConnection | null {
  const f = text.trim().split(/\s+/);
  const ip = normalizeIp(f[0] ?? '');
  if (ip === null) return null;
  const port = /^\d+$/.test(f[1] ?? '') ? ` port ${f[1]}` : '';
  const to = f.length >= 4 && normalizeIp(f[2]!) ? ` to ${normalizeIp(f[2]!)} port ${f[3]}` : '';
  return { ip, label: `the SSH connection from ${ip}${port}${to} (${who})` };
}
