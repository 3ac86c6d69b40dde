/**
 * Runs robosre as a service: the engine, the HTTP server, optional signal
 * sources, until SIGINT/SIGTERM. Shutdown lets in-flight requests and worker
 * steps finish, then closes the store.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
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
}

export async function runService({ config, logger, signals, scenario, banner }: ServiceOptions): Promise<void> {
  const runtime = createRuntime(config, logger);
  const app = buildServer({ runtime, config, logger });
  let stopping = false;
  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const stop = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping: finishing in-flight requests and worker steps');
    await app.close();
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

  runtime.engine.resume();
  await startConversations(runtime);
  await runtime.watcher?.start();
  runtime.probes?.start();
  runtime.goldenSignals?.start();
  const address = await app.listen({ host: config.server.host, port: config.server.port });
  const url = config.server.publicUrl ?? address.replace('0.0.0.0', 'localhost');
  logger.info({ url, environment: config.environment, database: config.database.path }, banner ? banner(url) : `robosre listening on ${url}`);

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
