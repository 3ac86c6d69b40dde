/**
 * Handlers are the pluggable brains of seed 000: analyze, plan, verify.
 * They are pure — context in, result out — and the worker does every write.
 */
import type { Confidence, IncidentClass, Severity } from '../../policies/types.js';
import type { ActionRow, Incident, ChildIncident } from './model.js';

export interface HandlerContext {
  incident: Incident;
  incidentClass: IncidentClass;
  /** Every action row of the incident so far, oldest first. */
  actions: ActionRow[];
  /** The remediation stage being planned or verified (0 = automatic containment). */
  stage: number;
  /** Epoch ms when the current stage began. */
  stageStartedAt: number;
  now: number;
  /** A storm's members, oldest first, resolved ones included (only for a storm). */
  members?: ChildIncident[];
}

export interface Analysis {
  severity: Severity;
  confidence: Confidence;
  summary: string;
  hypotheses: string[];
  evidenceRefs: string[];
}

export interface PlannedAction {
  action: string;
  /** `kind/namespace/name` or `kind/name`. */
  target: string;
  why: string;
}

export interface Plan {
  actions: PlannedAction[];
  /** True when no later stage exists: if this stage does not help, escalate. */
  last: boolean;
  /** What the plan deliberately leaves out and why, said in the thread ("cordon none: …"). */
  note?: string;
}

export type Verification =
  | { outcome: 'resolved'; reason: string }
  | { outcome: 'pending'; reason: string }
  | { outcome: 'worse'; reason: string };

export interface Handler {
  name: string;
  analyze(ctx: HandlerContext): Analysis;
  plan(ctx: HandlerContext): Plan;
  verify(ctx: HandlerContext): Verification;
}
