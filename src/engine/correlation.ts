/**
 * Correlation as a pure decision: what a signal does to the incidents already
 * known for its subject and type. The runner does the lookups and writes.
 */
import type { IncidentStatus, Signal } from './model.js';
import { isOpen } from './lifecycle.js';

export interface CorrelationCandidate {
  id: number;
  status: IncidentStatus;
  resolvedAt: number | null;
}

export type CorrelationOutcome =
  | { kind: 'create' }
  | { kind: 'update'; incidentId: number }
  | { kind: 'reopen'; incidentId: number }
  | { kind: 'resolve'; incidentId: number }
  | { kind: 'ignore'; reason: string };

/**
 * @param latest the newest incident with the signal's subject and type, if any
 * @param windowMs the duplicate-suppression window: a problem returning within
 *   it reopens the resolved incident instead of opening a new one
 * @example correlate(signal, { id: 7, status: 'triaged', resolvedAt: null }, 900_000) // → { kind: 'update', incidentId: 7 }
 */
export function correlate(signal: Signal, latest: CorrelationCandidate | undefined, windowMs: number): CorrelationOutcome {
  if (signal.status === 'resolved') {
    if (latest && latest.status !== 'resolved') return { kind: 'resolve', incidentId: latest.id };
    return { kind: 'ignore', reason: 'resolved signal with no open incident for this subject and type' };
  }
  if (!latest) return { kind: 'create' };
  if (isOpen(latest.status) || latest.status === 'suppressed') return { kind: 'update', incidentId: latest.id };
  const resolvedAt = latest.resolvedAt ?? 0;
  if (signal.observedAt - resolvedAt <= windowMs) return { kind: 'reopen', incidentId: latest.id };
  return { kind: 'create' };
}

/** Subject types whose incidents are parents of the pod incidents on the same node. */
export const PARENT_SUBJECT_TYPES: readonly string[] = ['node'];
