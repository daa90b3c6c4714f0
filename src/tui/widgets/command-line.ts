export interface Command {
  name: 'ban' | 'unban' | 'permaban' | 'whitelist' | 'jail' | 'quit' | 'sort' | 'help';
  args: string[];
}

/** `:ban 1.2.3.4 1h`, `:unban 1.2.3.4`, `:jail sshd`, `:q` … */
export function parseCommand(text: string): Command | string {
  const [word, ...args] = text.trim().split(/\s+/);
  const names: Record<string, Command['name']> = {
    ban: 'ban', unban: 'unban', permaban: 'permaban', whitelist: 'whitelist', wl: 'whitelist', jail: 'jail',
    q: 'quit', quit: 'quit', sort: 'sort', help: 'help',
  };
  const name = names[(word ?? '').toLowerCase()];
  if (!name) return `unknown command ":${word ?? ''}" (try :ban IP [DURATION], :unban IP, :unban all [JAIL], :permaban IP, :whitelist IP, :jail NAME|all, :sort KEY, :q)`;
  return { name, args };
}
