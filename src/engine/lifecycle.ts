/**
 * The status lifecycle of seed 004: observed → triaged → contained →
 * recovering → resolved, with suppressed and escalated reachable from any
 * open state. A resolved incident returns to observed only by reopening.
 */
import { RobosreError } from '../errors.js';
import type { Incident, IncidentStatus } from './model.js';

const TRANSITIONS: Record<IncidentStatus, readonly IncidentStatus[]> = {
  observed: ['triaged', 'suppressed', 'escalated', 'resolved'],
  triaged: ['contained', 'recovering', 'suppressed', 'escalated', 'resolved'],
  contained: ['recovering', 'suppressed', 'escalated', 'resolved'],
  recovering: ['contained', 'suppressed', 'escalated', 'resolved'],
  // A human may take an escalated incident back into the robot's hands.
  escalated: ['triaged', 'contained', 'recovering', 'suppressed', 'resolved'],
  suppressed: ['observed', 'resolved'],
  resolved: ['observed'],
};

export const OPEN_STATUSES: readonly IncidentStatus[] = ['observed', 'triaged', 'contained', 'recovering', 'escalated'];

export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws `illegal_transition` naming both states and the legal targets. */
export function assertTransition(from: IncidentStatus, to: IncidentStatus, incidentId?: number): void {
  if (!canTransition(from, to)) {
    throw new RobosreError(
      'illegal_transition',
      `incident${incidentId === undefined ? '' : ` ${incidentId}`} cannot move from ${from} to ${to}; from ${from} it may move to: ${TRANSITIONS[from].join(', ')}`,
      { from, to, incidentId },
    );
  }
}

export function isOpen(status: IncidentStatus): boolean {
  return OPEN_STATUSES.includes(status);
}

/** What every new incident starts with, whatever opened it: nothing asked, decided or silenced yet, analysis next. */
export function openingState(now: number): Pick<Incident, 'status' | 'approvalState' | 'handlerState' | 'phase' | 'wakeAt' | 'reopenCount' | 'lastSignalStatus' | 'resolvedAt' | 'acknowledgedBy' | 'acknowledgedAt' | 'silencedUntil' | 'createdAt' | 'updatedAt'> {
  return {
    status: 'observed',
    approvalState: 'none',
    handlerState: {},
    phase: 'analyze',
    wakeAt: null,
    reopenCount: 0,
    lastSignalStatus: 'firing',
    resolvedAt: null,
    acknowledgedBy: null,
    acknowledgedAt: null,
    silencedUntil: null,
    createdAt: now,
    updatedAt: now,
  };
}
