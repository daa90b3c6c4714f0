import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';

/**
 * Network namespaces for firewall tests: every nft/iptables/ipset change a test
 * makes happens inside a namespace it created and deletes afterwards (also on
 * failure, and at process exit as a last resort), never on this machine's own.
 */
export function netnsSkipReason(tools: string[] = ['nft']): string | null {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces (run the tests as root, as CI does)';
  for (const t of ['ip', ...tools]) {
    if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) return `"${t}" is not installed (apt-get install ${t === 'ip' ? 'iproute2' : t})`;
  }
  return null;
}

export interface Lab {
  /** The namespace bantop runs in. */
  host: string;
  /** The attacker's namespace, linked to the host by a veth pair. */
  peer: string;
  hostIp: string;
  peerIp: string;
  hostIp6: string;
  peerIp6: string;
  /**
   * With createLab({ routed: true }): a third namespace behind the host, which
   * routes between it and the peer (a container or VM on the host: its
   * traffic passes the host's forward path, not its input).
   */
  inner?: { ns: string; ip: string };
  cleanup(): void;
}

const live = new Set<Lab>();
process.on('exit', () => { for (const l of live) l.cleanup(); });

let counter = 0;

export function createLab(o: { routed?: boolean } = {}): Lab {
  // 10.200.X.0/24 with X from the pid and a counter, so parallel test files never collide.
  const n = (process.pid * 7 + counter++) % 250 + 1;
  const tag = `${process.pid % 10000}x${counter}`;
  const host = `bth${tag}`;
  const peer = `btp${tag}`;
  const inner = `bti${tag}`;
  const sh = (args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const lab: Lab = {
    host, peer,
    hostIp: `10.200.${n}.1`, peerIp: `10.200.${n}.2`,
    hostIp6: `fd00:200:${n.toString(16)}::1`, peerIp6: `fd00:200:${n.toString(16)}::2`,
    ...(o.routed ? { inner: { ns: inner, ip: `10.201.${n}.2` } } : {}),
    cleanup() {
      for (const ns of [host, peer, ...(o.routed ? [inner] : [])]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      live.delete(lab);
    },
  };
  live.add(lab);
  try {
    sh(['netns', 'add', host]);
    sh(['netns', 'add', peer]);
    sh(['link', 'add', `vh${tag}`, 'type', 'veth', 'peer', 'name', `vp${tag}`]);
    sh(['link', 'set', `vh${tag}`, 'netns', host]);
    sh(['link', 'set', `vp${tag}`, 'netns', peer]);
    for (const [ns, dev, ip, ip6] of [[host, `vh${tag}`, lab.hostIp, lab.hostIp6], [peer, `vp${tag}`, lab.peerIp, lab.peerIp6]] as const) {
      sh(['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev]);
      sh(['-n', ns, 'addr', 'add', `${ip6}/64`, 'dev', dev, 'nodad']);
      sh(['-n', ns, 'link', 'set', dev, 'up']);
      sh(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    if (o.routed) {
      // 10.201.X.0/24 between the host and the inner namespace; the host forwards (its own namespace's setting).
      sh(['netns', 'add', inner]);
      sh(['link', 'add', `vi${tag}`, 'type', 'veth', 'peer', 'name', `vj${tag}`]);
      sh(['link', 'set', `vi${tag}`, 'netns', host]);
      sh(['link', 'set', `vj${tag}`, 'netns', inner]);
      sh(['-n', host, 'addr', 'add', `10.201.${n}.1/24`, 'dev', `vi${tag}`]);
      sh(['-n', inner, 'addr', 'add', `10.201.${n}.2/24`, 'dev', `vj${tag}`]);
      for (const [ns, dev] of [[host, `vi${tag}`], [inner, `vj${tag}`], [inner, 'lo']] as const) sh(['-n', ns, 'link', 'set', dev, 'up']);
      sh(['-n', inner, 'route', 'add', 'default', 'via', `10.201.${n}.1`]);
      sh(['-n', peer, 'route', 'add', `10.201.${n}.0/24`, 'via', lab.hostIp]);
      execFileSync('ip', ['netns', 'exec', host, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { stdio: 'pipe' });
    }
  } catch (e) {
    lab.cleanup();
    throw e;
  }
  return lab;
}

/** A TCP listener inside the host namespace (or `ns`); every connection is accepted and closed. */
export function listen(lab: Lab, ports: number[], ns = lab.host): ChildProcess {
  const code = `const net=require('net');for(const p of ${JSON.stringify(ports)}){net.createServer(s=>s.end()).listen(p,'::');}console.log('ready');`;
  return spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
}

export async function listening(p: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    p.stdout!.once('data', () => resolve());
    p.once('exit', (c) => reject(new Error(`listener exited ${c}`)));
  });
}

/** Can the peer open a TCP connection to the host's port? (A dropped SYN shows as a timeout.) */
export function tcpReaches(lab: Lab, port: number, opts: { v6?: boolean; timeoutMs?: number; to?: string } = {}): boolean {
  const addr = opts.to ?? (opts.v6 ? lab.hostIp6 : lab.hostIp);
  const code = `const s=require('net').connect({host:'${addr}',port:${port}});s.setTimeout(${opts.timeoutMs ?? 400});` +
    `s.on('connect',()=>{s.destroy();process.exit(0)});s.on('timeout',()=>process.exit(1));s.on('error',()=>process.exit(2));`;
  return spawnSync('ip', ['netns', 'exec', lab.peer, process.execPath, '-e', code]).status === 0;
}

export function pingReaches(lab: Lab): boolean {
  return spawnSync('ip', ['netns', 'exec', lab.peer, 'ping', '-c', '1', '-W', '1', lab.hostIp], { stdio: 'ignore' }).status === 0;
}

export function inNs(ns: string, cmd: string, args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** How many times the kernel holds a rule or element for `ip`, read straight from the tool's own listing. */
export function kernelCount(firewall: string, ns: string, ip: string): number {
  const esc = ip.replace(/[.:/]/g, (c) => `\\${c}`);
  if (firewall === 'nftables') {
    let text = '';
    try { text = inNs(ns, 'nft', ['list', 'table', 'inet', 'bantop']); } catch { return 0; }
    return (text.match(new RegExp(`(?<![\\d.:])${esc}(?![\\d.:])`, 'g')) ?? []).length;
  }
  if (firewall === 'ipset') return inNs(ns, 'ipset', ['save']).split('\n').filter((l) => new RegExp(`^add bt\\d-\\S+ ${esc}$`).test(l)).length;
  return inNs(ns, 'iptables', ['-S']).split('\n').filter((l) => l.includes(`-s ${ip}/32 -j DROP`)).length;
}

/** The addresses in one of bantop's nft sets (e.g. perm_4). */
export function nftSet(ns: string, set: string): string[] {
  let text = '';
  try { text = inNs(ns, 'nft', ['list', 'set', 'inet', 'bantop', set]); } catch { return []; }
  const m = /elements = \{([^}]*)\}/s.exec(text);
  return m ? m[1]!.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/** Every IPv4 address in bantop's nft table, with how many times the kernel holds it. */
export function nftAddresses(ns: string): Map<string, number> {
  let text = '';
  try { text = inNs(ns, 'nft', ['list', 'table', 'inet', 'bantop']); } catch { return new Map(); }
  const out = new Map<string, number>();
  for (const block of text.matchAll(/elements = \{([^}]*)\}/gs)) {
    for (const m of block[1]!.matchAll(/(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])/g)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + 1);
  }
  return out;
}

/** Every IPv4 address bantop holds in the kernel with this backend, with how many times (rules, set elements). */
export function kernelAddresses(firewall: string, ns: string): Map<string, number> {
  if (firewall === 'nftables') return nftAddresses(ns);
  const out = new Map<string, number>();
  const add = (ip: string) => out.set(ip, (out.get(ip) ?? 0) + 1);
  if (firewall === 'ipset') {
    for (const l of inNs(ns, 'ipset', ['save']).split('\n')) {
      const m = /^add bt\S+ (\d+\.\d+\.\d+\.\d+)$/.exec(l);
      if (m) add(m[1]!);
    }
  } else {
    for (const l of inNs(ns, 'iptables', ['-S']).split('\n')) {
      const m = /-s (\d+\.\d+\.\d+\.\d+)\/32 .*-j DROP/.exec(l);
      if (m) add(m[1]!);
    }
  }
  return out;
}
