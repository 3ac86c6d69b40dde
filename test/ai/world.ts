/**
 * The analyst's world: the real runtime of test/chat/world.ts (store, engine,
 * dispatcher, Telegram through grammY against its emulator) with `ai`
 * configured against the chat-completions emulator, which the official
 * `openai` client reaches over HTTP. Incidents are raised by ingesting
 * signals, log tails attached as the Kubernetes watcher attaches them.
 */
import type { Signal } from '../../src/engine/model.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import type { Analyst } from '../../src/analyst/analyst.js';
import { CHAT, startWorld, type World } from '../chat/world.js';
import { waitFor } from '../support/wait-for.js';
import { OpenAiEmulator, type Responder, type Turn } from './openai-emulator.js';

export const MODEL = 'emulated-model';
/** What a model that can call tools answers the start-up test with. */
export const PING: Turn = { toolCalls: [{ name: 'ping', arguments: { echo: 'robosre' } }] };

export interface AiWorld {
  llm: OpenAiEmulator;
  world: World;
  analyst: Analyst;
  close(): Promise<void>;
}

export interface AiWorldOptions {
  /** Merged into the `ai` section; `apiKey: undefined` leaves the key out. */
  ai?: Record<string, unknown>;
  /** The key the emulator accepts; its default otherwise. */
  acceptKey?: string;
  /** Leave the analyst stopped (the test starts it, as after a restart). */
  stopped?: boolean;
  environment?: 'demo' | 'staging' | 'production';
  script?: Turn[];
  responder?: Responder;
  /** Other config sections (goldenSignals names the Prometheus query_metrics reads). */
  config?: Record<string, unknown>;
}

export async function startAiWorld(options: AiWorldOptions = {}): Promise<AiWorld> {
  const llm = await OpenAiEmulator.start({ models: [MODEL], ...(options.acceptKey ? { apiKey: options.acceptKey } : {}) });
  llm.enqueue(...(options.script ?? []));
  if (options.responder) llm.respond(options.responder);
  const world = await startWorld({
    config: {
      ...options.config,
      environment: options.environment ?? 'demo',
      ai: JSON.parse(JSON.stringify({ baseUrl: llm.baseUrl, model: MODEL, apiKey: llm.apiKey, timeout: '3s', maxRetries: 0, ...options.ai })) as Record<string, unknown>,
    },
  });
  const analyst = world.runtime.analyst!;
  if (!options.stopped) analyst.start();
  return {
    llm,
    world,
    analyst,
    close: async () => {
      await analyst.stop();
      await world.close();
      await llm.close();
    },
  };
}

export function diskPressure(node = 'worker-1', extra: Partial<Signal> = {}): Signal {
  return {
    trigger: 'kubernetes_event',
    incidentType: 'node_disk_pressure',
    cluster: 'prod',
    subject: `prod.node.${node}`,
    status: 'firing',
    observedAt: Date.now(),
    confidence: 'high',
    target: `node/${node}`,
    params: { cronjobs: ['cronjob/trivy/trivy-db-warmup'], workloads: [`deployment/tekton-pipelines/${node}-runner`] },
    summary: `DiskPressure=True on ${node}`,
    ...extra,
  };
}

export const LOG_REF = (node: string) => `logs:kube-system/kubelet-${node}/kubelet#0`;

/** Raises the incident and attaches a log tail, as the watcher would: returns the incident id. */
export function raise(w: AiWorld, signal: Signal, log?: string): number {
  const engine = w.world.runtime.engine;
  const { incidentId } = engine.ingest(signal);
  const node = signal.subject.split('.').slice(2).join('.');
  if (log !== undefined) engine.addEvidence(signal.subject, signal.incidentType, { ref: LOG_REF(node), summary: `log tail of kubelet (${log.split('\n').length} lines)`, data: { container: 'kubelet', log } });
  return incidentId!;
}

export function aiEvents(w: AiWorld, incidentId: number) {
  return incidentsRepo.timeline(w.world.runtime.store.db, incidentId).filter((e) => e.kind === 'ai');
}

/** The analyst's record of the incident, once it is written. */
export function analysed(w: AiWorld, incidentId: number, timeoutMs = 15_000) {
  return waitFor(`the AI record of incident ${incidentId}`, () => aiEvents(w, incidentId)[0], timeoutMs);
}

/** The action rows the analyst's proposals became (the engine records who asked on the decision). */
export function aiActions(w: AiWorld, incidentId: number) {
  const db = w.world.runtime.store.db;
  const ids = new Set(incidentsRepo.timeline(db, incidentId).filter((e) => e.kind === 'decision' && e.data.requestedBy === `ai:${MODEL}`).map((e) => e.data.actionRowId));
  return actionsRepo.listActions(db, incidentId).filter((a) => ids.has(a.id));
}

/** Telegram messages in the ops chat whose text includes `text`. */
export function telegramWith(w: AiWorld, text: string) {
  return w.world.emu.messages(CHAT).filter((m) => m.text.includes(text));
}

/** The tool messages of the conversation as last sent to the model (each request repeats the earlier ones), parsed. */
export function toolReplies(w: AiWorld): Array<Record<string, unknown>> {
  const last = w.llm.completions().at(-1);
  return (last?.body.messages ?? []).filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content ?? 'null') as Record<string, unknown>);
}

/** The final answer turn, as the model would write it. */
export function answer(a: { summary: string; evidence?: string[]; hypotheses?: Array<{ cause: string; confidence: string }>; proposals?: Array<{ action: string; target: string; why: string }> }): Turn {
  return { content: JSON.stringify({ evidence: [], hypotheses: [], proposals: [], ...a }) };
}
