/** The engine's knobs, resolved from config once at start. */
import type { Environment } from '../../policies/types.js';
import type { RuleSet } from '../../policies/rule-set.js';
import type { ApprovalRules } from '../../conversations/approval-votes.js';
import type { StormSettings } from './storm-grouping.js';

/** Shadow mode as the engine sees it (src/rules/shadow.ts). */
export interface ShadowJudge {
  /** Whether any shadow rule exists: without one the periodic review lists no incident for it. */
  active(): boolean;
  observe(incidentId: number): void;
}

export interface EngineSettings {
  environment: Environment;
  /** Read at every use, so a rule set swapped in later takes effect without a restart. */
  rules: () => RuleSet;
  /**
   * Judges the incident with the shadow rules and records where they differ (src/rules/shadow.ts),
   * after each step and escalation review. It reads and writes only its own records.
   */
  shadow?: ShadowJudge;
  /** How long an approval request stays open. */
  approvalTtlMs: number;
  /**
   * How long a new (or reopened) incident waits before its first analysis, so
   * signals that arrive together — a node's condition and the taint that
   * follows it — are judged together (seed 000's "initial analysis delay").
   */
  analysisDelayMs: number;
  /** How long each remediation stage may take to clear the condition before the next step or escalation. */
  stageTimeoutMs: number;
  /** Longest an executor call may take before it counts as failed. */
  executeTimeoutMs: number;
  /** Global pause of automatic actions; the engine keeps it current when people pause or resume. */
  paused: boolean;
  /** Past these the robot asks instead of acting on its own (policies' budget gate). */
  budgets: { maxConcurrentActions: number; maxActionsPerNamespacePerHour: number };
  approvals: ApprovalRules;
  /** When incidents sharing a cause become one storm, and when node remediation stops (docs/storms.md). */
  storms: StormSettings;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
