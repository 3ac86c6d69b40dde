/**
 * Kubernetes Events, filtered to what is worth alerting on (the Devtron
 * seed's lesson: most events are noise) and classified into facts the
 * detectors use. An Event that repeats is updated in place by its source
 * (count, series), so a repeat is the same fact again, never a new one.
 */
import type { EventView } from './views.js';

export type EventFact =
  /** The kubelet reports it is reclaiming or failing to free disk on a node. */
  | { kind: 'node_disk'; node: string; reason: string; message: string; count: number; at: number }
  /** A pod evicted for disk (the node it ran on, when the event says). */
  | { kind: 'disk_eviction'; namespace: string; pod: string; node?: string; message: string; at: number }
  /** Anything else about an object, kept as that object's evidence. */
  | { kind: 'object'; key: string; reason: string; message: string; count: number; at: number };

const DISK = /ephemeral-storage|imagefs|nodefs|disk/i;
const NODE_DISK_REASONS = new Set(['FreeDiskSpaceFailed', 'ImageGCFailed']);

/** Warning events only, unless the operator asked for Normal ones too. */
export function worthAlerting(event: EventView, includeNormal: boolean): boolean {
  return event.type === 'Warning' || (includeNormal && event.type === 'Normal');
}

/** The key evidence of an object is filed under: `kind/namespace/name` (lower-case kind; no namespace for nodes). */
export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return namespace ? `${kind.toLowerCase()}/${namespace}/${name}` : `${kind.toLowerCase()}/${name}`;
}

export function classifyEvent(event: EventView): EventFact[] {
  const { involved } = event;
  const message = event.message.slice(0, 1000);
  const facts: EventFact[] = [
    { kind: 'object', key: objectKey(involved.kind, involved.namespace, involved.name), reason: event.reason, message, count: event.count, at: event.lastAt },
  ];
  if (involved.kind === 'Node' && (NODE_DISK_REASONS.has(event.reason) || (event.reason === 'EvictionThresholdMet' && DISK.test(message)))) {
    facts.push({ kind: 'node_disk', node: involved.name, reason: event.reason, message, count: event.count, at: event.lastAt });
  }
  if (involved.kind === 'Pod' && event.reason === 'Evicted' && DISK.test(message)) {
    facts.push({ kind: 'disk_eviction', namespace: involved.namespace ?? event.namespace, pod: involved.name, ...(event.host ? { node: event.host } : {}), message, at: event.lastAt });
  }
  return facts;
}
