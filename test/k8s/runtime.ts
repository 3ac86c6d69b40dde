/**
 * robosre as one runtime (store on a temp SQLite file, engine, watcher, and
 * the executor the config names) against a test control plane, for the
 * Kubernetes integration tests; and the authorised-action values the
 * executor tests hand over.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { getAction } from '../../policies/actions.js';
import { parseConfig } from '../../src/config/config.js';
import type { ActionParams, AuthorizedAction } from '../../src/engine/executor.js';
import { createLogger } from '../../src/log.js';
import { redactorFor } from '../../src/redaction/redactor.js';
import { createRuntime, startConversations, stopConversations, type Runtime } from '../../src/runtime.js';
import type { ControlPlane } from './control-plane.js';

export interface RuntimeOptions {
  environment?: 'demo' | 'staging' | 'production';
  /** Keys of the `kubernetes` section besides the kubeconfig. */
  kubernetes?: Record<string, unknown>;
  engine?: Record<string, unknown>;
  executor?: Record<string, unknown>;
  /** The `probes` section; the runner starts after the watcher has listed. */
  probes?: unknown[];
  /** The `ai` section; the analyst starts after the watcher has listed, unless `analystStopped` (the test starts it). */
  ai?: Record<string, unknown>;
  analystStopped?: boolean;
  /** The `auth` section (API tokens). */
  auth?: Record<string, unknown>;
  /** Where robosre's log lines go (debug level, redacted as `robosre start` does); silent when absent. */
  log?: DestinationStream;
  /** The `channels` section; its conversations start with the runtime. */
  channels?: Record<string, unknown>;
}

export interface TestRuntime {
  runtime: Runtime;
  /** The SQLite file the store writes (with its -wal beside it). */
  databasePath: string;
  /** Stops the watcher and the engine, closes the store and removes its directory. */
  stop(): Promise<void>;
}

/** A started runtime (engine resumed, watcher listed) on cluster `prod`. */
export async function startRuntime(cp: ControlPlane, options: RuntimeOptions = {}): Promise<TestRuntime> {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-k8s-runtime-'));
  const config = parseConfig({
    environment: options.environment ?? 'staging',
    cluster: { name: 'prod' },
    database: { path: join(dir, 'robosre.db') },
    executor: { journal: join(dir, 'actions.ndjson'), ...options.executor },
    ...(options.engine ? { engine: options.engine } : {}),
    kubernetes: { kubeconfig: cp.kubeconfigPath, ...options.kubernetes },
    ...(options.probes ? { probes: options.probes } : {}),
    ...(options.ai ? { ai: options.ai } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.channels ? { channels: options.channels } : {}),
  });
  const runtime = createRuntime(config, options.log ? createLogger('debug', options.log, redactorFor(config)) : createLogger('silent'));
  runtime.engine.resume();
  await runtime.watcher!.start();
  runtime.probes?.start();
  if (!options.analystStopped) runtime.analyst?.start();
  if (options.channels) await startConversations(runtime);
  return {
    runtime,
    databasePath: config.database.path,
    stop: async () => {
      if (options.channels) await stopConversations(runtime);
      await runtime.analyst?.stop();
      await runtime.probes?.stop();
      await runtime.watcher?.stop();
      await runtime.engine.stop();
      runtime.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let seq = 0;

/**
 * An action as the worker hands it over. Only `authorize()` brands actions in
 * the product; the executor's tests build the value directly, since what they
 * test is what happens to the cluster once the policy has said yes.
 */
export function authorized(actionId: string, target: string, params: ActionParams = {}, key = `test/${actionId}/${target}/${(seq += 1)}`): AuthorizedAction {
  const actionClass = getAction(actionId).class;
  return { idempotencyKey: key, incidentId: 1, actionId, actionClass, target, params, decision: { decision: 'auto', reasons: [], actionClass }, approvedBy: null } as unknown as AuthorizedAction;
}
