/**
 * reboot_node, replace_node and helm_reconcile as recipes (seed 003): the
 * operator configures a Kubernetes Job template per action, robosre runs one
 * Job per approved action and reports how it ended. Nothing from chat reaches
 * the Job: it gets only the action, target, incident and idempotency key as
 * environment variables. The Job's name derives from the idempotency key, so
 * a resumed action after a crash finds its Job instead of starting a second.
 */
import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import type { Target } from '../../../policies/types.js';
import { apiErrorMessage, statusCode } from '../api-error.js';
import { watchUntil } from '../watch-until.js';
import { ACTION_KEY_ANNOTATION, markedBy } from './action-mark.js';

export interface JobHook {
  namespace: string;
  /** A batch/v1 Job manifest (checked when the config is parsed); its name and namespace are set per run. */
  template: object;
  /** How long robosre waits for the Job to finish before reporting it still running. */
  timeoutMs: number;
}

export interface HookRun {
  job: string;
  /** True when the Job already existed under this key (a resumed action). */
  resumed: boolean;
  outcome: 'succeeded' | 'failed';
  detail: string;
  state: { active: number; succeeded: number; failed: number; conditions: string[] };
}

export class HookError extends Error {}


/** `robosre-reboot-node-<10 hex of the key>`: stable per key, within the 63 characters a name may have. */
export function hookJobName(action: string, key: string): string {
  return `robosre-${action.replaceAll('_', '-')}-${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

/** The template with robosre's name, labels and environment; the operator's spec is otherwise untouched. */
export function hookJob(hook: JobHook, run: { action: string; target: Target; targetText: string; incidentId: number; key: string }): k8s.V1Job {
  const job = structuredClone(hook.template) as k8s.V1Job;
  const env: k8s.V1EnvVar[] = [
    { name: 'ROBOSRE_ACTION', value: run.action },
    { name: 'ROBOSRE_TARGET', value: run.targetText },
    { name: 'ROBOSRE_TARGET_KIND', value: run.target.kind },
    { name: 'ROBOSRE_TARGET_NAMESPACE', value: run.target.namespace ?? '' },
    { name: 'ROBOSRE_TARGET_NAME', value: run.target.name },
    { name: 'ROBOSRE_INCIDENT', value: String(run.incidentId) },
    { name: 'ROBOSRE_ACTION_KEY', value: run.key },
  ];
  job.metadata = {
    ...job.metadata,
    name: hookJobName(run.action, run.key),
    namespace: hook.namespace,
    labels: { ...job.metadata?.labels, 'app.kubernetes.io/managed-by': 'robosre', 'robosre.io/action': run.action.replaceAll('_', '-') },
    annotations: { ...job.metadata?.annotations, [ACTION_KEY_ANNOTATION]: run.key, 'robosre.io/target': run.targetText },
  };
  delete job.metadata.generateName;
  const pod = job.spec!.template.spec!;
  pod.restartPolicy ??= 'Never';
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) c.env = [...(c.env ?? []).filter((e) => !e.name.startsWith('ROBOSRE_')), ...env];
  return job;
}

/** Runs (or, under the same key, finds) the Job and waits for it to finish, by watching it. */
export async function runHook(kc: k8s.KubeConfig, hook: JobHook, job: k8s.V1Job): Promise<HookRun> {
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const name = job.metadata!.name!;
  const namespace = hook.namespace;
  const key = job.metadata!.annotations![ACTION_KEY_ANNOTATION]!;
  let resumed = false;
  let current: k8s.V1Job;
  try {
    await batch.createNamespacedJob({ namespace, body: job, dryRun: 'All', fieldManager: 'robosre' });
    current = await batch.createNamespacedJob({ namespace, body: job, fieldManager: 'robosre' });
  } catch (error) {
    if (statusCode(error) !== 409) throw new HookError(`the ${job.metadata!.labels!['robosre.io/action']} Job was not created: ${apiErrorMessage(error)}`);
    current = await batch.readNamespacedJob({ name, namespace });
    if (!markedBy(current, key)) throw new HookError(`Job ${namespace}/${name} exists but was not started under this action's key; nothing was changed`);
    resumed = true;
  }
  const finished = ended(current) ? current : await watchUntil<k8s.V1Job>(kc, `/apis/batch/v1/namespaces/${namespace}/jobs`, name, (j) => ended(j) !== undefined, hook.timeoutMs, current.metadata?.resourceVersion);
  const last = finished ?? (await batch.readNamespacedJob({ name, namespace }));
  const state = stateOf(last);
  const end = ended(last);
  if (end === 'Complete') return { job: `${namespace}/${name}`, resumed, outcome: 'succeeded', detail: `Job ${namespace}/${name} completed`, state };
  if (end === 'Failed') {
    const why = last.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
    return { job: `${namespace}/${name}`, resumed, outcome: 'failed', detail: `Job ${namespace}/${name} failed: ${why?.reason ?? 'Failed'}${why?.message ? ` (${why.message})` : ''}`, state };
  }
  // Not finished in time is not success: the incident must not read a reboot as done while it may still be running.
  return { job: `${namespace}/${name}`, resumed, outcome: 'failed', detail: `Job ${namespace}/${name} still running after ${Math.round(hook.timeoutMs / 1000)}s (${state.active} active); it was left running`, state };
}

function ended(job: k8s.V1Job): 'Complete' | 'Failed' | undefined {
  const c = job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c?.type as 'Complete' | 'Failed' | undefined;
}

function stateOf(job: k8s.V1Job): HookRun['state'] {
  const s = job.status ?? {};
  return { active: s.active ?? 0, succeeded: s.succeeded ?? 0, failed: s.failed ?? 0, conditions: (s.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type) };
}
