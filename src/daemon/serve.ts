import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { configWarnings, loadConfig } from '../config/load.js';
import { hostRunner } from '../proc/run.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { systemClock } from '../util/clock.js';
import { claimSocket, startControlServer } from './control-server.js';
import { createLogger } from './logger.js';
import { BantopService } from './service.js';

export interface ServeOptions {
  configDir: string;
  socket?: string | undefined;
  flushOnStop: boolean;
  checkIntervalMs?: number;
}

/**
 * `bantop serve`: the daemon in the foreground (systemd Type=simple). SIGTERM
 * and SIGINT stop it cleanly, SIGHUP reloads.
 */
export async function serve(o: ServeOptions): Promise<number> {
  const config = loadConfig(o.configDir);
  const s = config.settings;
  const log = createLogger(s.logtarget, s.loglevel);
  for (const w of configWarnings(config)) log.log('WARNING', w);
  const socketPath = o.socket ?? s.socket;
  await claimSocket(socketPath);
  const store = new SqliteStore(s.dbfile);
  const envCheck = Number(process.env['BANTOP_CHECK_INTERVAL_MS']);
  const service = await BantopService.start({
    configDir: o.configDir, config, clock: systemClock, runner: hostRunner(), store, log,
    flushOnStop: o.flushOnStop, checkIntervalMs: o.checkIntervalMs ?? (envCheck > 0 ? envCheck : undefined),
  });
  const control = await startControlServer(socketPath, service, log);
  try {
    mkdirSync(dirname(s.pidfile), { recursive: true });
    writeFileSync(s.pidfile, `${process.pid}\n`);
  } catch (e) {
    log.log('WARNING', `cannot write pidfile ${s.pidfile}: ${(e as Error).message}`);
  }
  log.log('NOTICE', `bantop started: ${service.engine.jailNames().length} jail(s), firewall ${s.firewall}, socket ${socketPath}`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (sig: string) => {
      if (stopping) return;
      stopping = true;
      log.log('NOTICE', `${sig}: stopping${o.flushOnStop ? ' and flushing every ban' : '; permanent bans stay in the firewall'}`);
      await control.close();
      await service.stop();
      store.close();
      try { unlinkSync(s.pidfile); } catch { /* not ours to worry about */ }
      resolve(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGHUP', () => {
      service.reload().then(() => log.log('NOTICE', 'reloaded'), (e: Error) => log.log('ERROR', `reload failed, old config kept: ${e.message}`));
    });
  });
}
