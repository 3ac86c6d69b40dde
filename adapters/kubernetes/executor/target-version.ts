/**
 * What "the target changed since the approval" means. The resourceVersion
 * moves on every write, status included: a node's kubelet heartbeats move it
 * every few seconds, so comparing it alone would refuse every approved node
 * action. The fingerprint moves only when someone changes what was approved:
 * `metadata.generation` where the API server keeps one (workloads, CronJobs),
 * otherwise a digest of the object's desired state. Node taints under
 * `node.kubernetes.io/` are left out: the node lifecycle controller writes them
 * from the conditions, so they are status in disguise.
 */
import { createHash } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import type { TargetVersion } from '../../../src/engine/executor.js';

type Versioned = k8s.KubernetesObject & { spec?: unknown; data?: unknown; binaryData?: unknown };

/** `kind` is the target's kind as robosre names it (`node`, `deployment`, `configmap`). */
export function targetVersion(obj: Versioned, kind: string): TargetVersion {
  const resourceVersion = obj.metadata?.resourceVersion ?? '';
  const generation = obj.metadata?.generation;
  if (generation !== undefined) return { resourceVersion, fingerprint: `generation ${generation}` };
  const desired = kind === 'node' ? nodeDesired(obj as k8s.V1Node) : { labels: obj.metadata?.labels ?? {}, spec: obj.spec ?? null, data: obj.data ?? null, binaryData: obj.binaryData ?? null };
  return { resourceVersion, fingerprint: `sha256 ${createHash('sha256').update(stableJson(desired)).digest('hex').slice(0, 16)}` };
}

function nodeDesired(node: k8s.V1Node): unknown {
  return {
    labels: node.metadata?.labels ?? {},
    unschedulable: node.spec?.unschedulable ?? false,
    taints: (node.spec?.taints ?? []).filter((t) => !t.key.startsWith('node.kubernetes.io/')).map((t) => ({ key: t.key, value: t.value ?? '', effect: t.effect })),
  };
}

/** JSON with sorted keys, so the same object always digests the same. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Null when the object is still as approved; otherwise the refusal the incident shows. */
export function changedSince(seen: TargetVersion | undefined, obj: Versioned, kind: string, what: string): string | null {
  if (!seen) return null;
  const now = targetVersion(obj, kind);
  if (now.fingerprint === seen.fingerprint) return null;
  return `${what} changed since the approval was asked (resourceVersion ${seen.resourceVersion} → ${now.resourceVersion}, ${seen.fingerprint} → ${now.fingerprint}); nothing was changed, ask again`;
}
