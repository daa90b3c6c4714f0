import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  iptablesRuleArgs, iptablesScript, listeningPorts, nftScript, parsePortList, parsePortTable, probeRules, PORTS_CHAIN,
  type PortEntry, type ProbeRule,
} from '../firewall/port-probes.js';
import { serviceName } from '../firewall/ports.js';
import { hostRunner, type Runner } from '../proc/run.js';
import { UserError } from '../util/errors.js';
import { validate } from './args.js';

export const COMMON_PORTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'assets', 'ports', 'common-ports.txt');
const USAGE = 'bantop ports [--backend nft|iptables] [--ports LIST | --common] [--include-open] [--apply]';

function readProc(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * `bantop ports`: LOG rules for closed ports, printed for review or applied
 * with --apply. Ports a local service listens on are left out (with a note)
 * unless --include-open: probes of an open port are normal traffic.
 */
export async function portsCommand(rest: string[], options: Record<string, string | boolean>, out: NodeJS.WritableStream, runner: Runner = hostRunner()): Promise<number> {
  if (rest.length) throw new UserError(`unexpected argument "${rest[0]}"`, { hint: `usage: ${USAGE}` });
  const backend = validate(z.enum(['nft', 'iptables']), options['backend'] ?? 'nft', '--backend');
  if (options['ports'] !== undefined && options['common']) throw new UserError('give --ports or --common, not both', { hint: `usage: ${USAGE}` });
  if (options['ports'] === true) throw new UserError('--ports needs a list', { hint: 'e.g. --ports 22,3306,53/udp' });
  const table = parsePortTable(readFileSync(COMMON_PORTS, 'utf8'), COMMON_PORTS);
  const chosen: PortEntry[] = typeof options['ports'] === 'string' ? parsePortList(options['ports'], table, serviceName) : table;

  const open = options['include-open'] ? new Set<string>() : listeningPorts([
    { protocol: 'tcp', text: readProc('/proc/net/tcp') + readProc('/proc/net/tcp6') },
    { protocol: 'udp', text: readProc('/proc/net/udp') + readProc('/proc/net/udp6') },
  ]);
  const all = probeRules(chosen);
  const rules = all.filter((r) => !open.has(`${r.port}/${r.protocol}`));
  const skipped = all.filter((r) => open.has(`${r.port}/${r.protocol}`));
  const notes = skipped.map((r) => `# left out ${r.port}/${r.protocol} (${r.service}): a local service listens on it, so it is not a closed port (--include-open keeps it)\n`).join('');
  if (rules.length === 0) throw new UserError('no closed ports left to log', { hint: 'every chosen port has a local listener; use --include-open or other --ports' });

  const script = backend === 'nft' ? nftScript(rules) : iptablesScript(rules);
  if (!options['apply']) {
    out.write(`# bantop ports: ${rules.length} LOG rule(s) for closed ports (${backend}). Apply with --apply,\n` +
      `# then enable the closed-ports jail (it reads the kernel log: /var/log/kern.log or the journal).\n` + notes + script);
    return 0;
  }
  if (backend === 'nft') {
    const r = await runner.run('nft', ['-f', '-'], { input: script });
    if (!r.ok) throw new UserError(`nft refused the LOG rules: ${r.stderr.trim()}`, { hint: 'is nftables installed and are you root?', exitCode: 1 });
  } else {
    await applyIptables(runner, rules);
  }
  out.write(notes + `installed ${rules.length} LOG rule(s) for closed ports with ${backend}` +
    `${backend === 'nft' ? ' (table inet bantop_ports)' : ` (chain ${PORTS_CHAIN}, IPv4 and IPv6)`}\n`);
  return 0;
}

async function applyIptables(runner: Runner, rules: ProbeRule[]): Promise<void> {
  for (const bin of ['iptables', 'ip6tables']) {
    const must = async (args: string[]) => {
      const r = await runner.run(bin, ['-w', ...args]);
      if (!r.ok) throw new UserError(`${bin} ${args.join(' ')}: ${r.stderr.trim()}`, { hint: 'is iptables installed and are you root?', exitCode: 1 });
    };
    const exists = await runner.run(bin, ['-w', '-n', '-L', PORTS_CHAIN]);
    await must(exists.ok ? ['-F', PORTS_CHAIN] : ['-N', PORTS_CHAIN]);
    for (const r of rules) await must(['-A', PORTS_CHAIN, ...iptablesRuleArgs(r)]);
    if (!(await runner.run(bin, ['-w', '-C', 'INPUT', '-j', PORTS_CHAIN])).ok) await must(['-I', 'INPUT', '1', '-j', PORTS_CHAIN]);
  }
}
