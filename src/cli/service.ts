/**
 * Runs robosre as a service: the engine, the HTTP server, optional signal
 * sources, until SIGINT/SIGTERM. The server listens before anything that
 * waits on the outside world starts (chat channels start in the background),
 * so the API, console and Alertmanager receiver are up whatever a platform
 * does. Shutdown lets in-flight requests and worker steps finish, then closes
 * the store; past `server.shutdownGrace` the process exits anyway.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { RobosreError } from '../errors.js';
import { createRuntime, startConversations, stopConversations } from '../runtime.js';
import { buildServer } from '../server/server.js';
import type { ScenarioStep } from '../demo/scenario.js';
import { readSignals } from './signal-stream.js';

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  /** NDJSON signal file, or - for stdin. */
  signals?: string;
  scenario?: ScenarioStep[];
  /** Printed once the server listens, e.g. how to sign in to the demo. */
  banner?: (url: string) => string;
  /** Where the port came from, named when it is in use: `server.port`, or the demo's `--port`. */
  portKey?: string;
}

export async function runService({ config, logger, signals, scenario, banner, portKey = 'server.port' }: ServiceOptions): Promise<void> {
  const runtime = createRuntime(config, logger);
  const app = buildServer({ runtime, config, logger });
  let stopping = false;
  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const stop = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const grace = config.server.shutdownGrace;
    // Unref'd: a clean stop lets the process end by itself; the timer only fires if something still holds it.
    setTimeout(() => {
      logger.error({ reason, graceMs: grace }, `shutdown did not finish within ${grace} ms (server.shutdownGrace); exiting anyway`);
      process.exit(1);
    }, grace).unref();
    logger.info({ reason, graceMs: grace }, 'stopping: finishing in-flight requests and worker steps');
    await app.close();
    await runtime.analyst?.stop();
    await runtime.goldenSignals?.stop();
    await runtime.probes?.stop();
    await runtime.watcher?.stop();
    await stopConversations(runtime);
    await runtime.engine.stop();
    runtime.store.close();
    logger.info('stopped');
    markStopped();
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  let address: string;
  try {
    address = await listen(app, config, portKey);
  } catch (error) {
    runtime.store.close();
    throw error;
  }
  runtime.engine.resume();
  const url = config.server.publicUrl ?? address.replace('0.0.0.0', 'localhost');
  logger.info({ url, environment: config.environment, database: config.database.path, installation: runtime.store.installation.id }, banner ? banner(url) : `robosre listening on ${url}`);
  // Not awaited: a channel that cannot start is reported and retried in the background (src/delivery/channel-starter.ts).
  startConversations(runtime).catch((error: unknown) => logger.error({ err: error }, 'delivery could not start; chat channels are not served'));
  await runtime.watcher?.start();
  runtime.probes?.start();
  runtime.goldenSignals?.start();
  // Not awaited: its tool-calling test and every analysis run beside the engine, never in its way.
  runtime.analyst?.start();

  for (const step of scenario ?? []) {
    setTimeout(() => {
      if (stopping) return;
      if ('signal' in step) {
        runtime.engine.ingest({ ...step.signal, observedAt: Date.now() });
        return;
      }
      // Alerts go through the real HTTP receiver, exactly as Alertmanager would send them.
      void app.inject({ method: 'POST', url: '/webhook/alertmanager', payload: step.alertmanager(new Date()) }).then((res) => {
        if (res.statusCode !== 200) logger.error({ status: res.statusCode, body: res.body }, 'demo alert refused');
      });
    }, step.afterMs).unref();
  }

  if (signals) {
    for await (const line of readSignals(signals)) {
      if (stopping) break;
      if (!line.ok) {
        logger.error({ line: line.line }, line.error);
        continue;
      }
      runtime.engine.ingest(line.signal);
    }
    logger.info({ source: signals }, 'signal source drained');
  }
  await stopped;
}

/** Listens on server.host:server.port; an address in use is a config problem named by its key, not a stack. */
async function listen(app: ReturnType<typeof buildServer>, config: Config, portKey: string): Promise<string> {
  try {
    return await app.listen({ host: config.server.host, port: config.server.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${config.server.host}:${config.server.port}`;
    if (code === 'EADDRINUSE') throw new RobosreError('cannot_listen', `port ${config.server.port} is already in use on ${config.server.host} (${portKey}): stop what holds it or choose another port`, { where }, { cause: error });
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new RobosreError('cannot_listen', `cannot listen on ${where} (server.host, ${portKey}): ${code}`, { where }, { cause: error });
    throw error;
  }
}
