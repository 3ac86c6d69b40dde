/**
 * The vocabulary of the safety contract (seed 004). Everything here is data:
 * no I/O, no clock reads. Time always arrives as an argument.
 */
import type { SuppressionWindow } from './schedule.js';
import type { SignalSelector } from './selector.js';

export const DOMAINS = [
  'infrastructure',
  'runtime_services',
  'application_services',
  'network_ingress',
  'golden_signals',
  'identity_security',
  'release_configuration',
  'operator_channels',
] as const;
export type Domain = (typeof DOMAINS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ENVIRONMENTS = ['demo', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const CONFIDENCES = ['high', 'medium', 'low'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

/** Ordered from least to most dangerous; `human_only` is the family the robot never executes. */
export const ACTION_CLASSES = ['observe', 'notify', 'contain', 'recover', 'disruptive', 'human_only'] as const;
export type ActionClass = (typeof ACTION_CLASSES)[number];

export const DECISIONS = ['auto', 'needs_approval', 'human_only', 'denied'] as const;
export type Decision = (typeof DECISIONS)[number];

/** A Kubernetes-style target: `kind/namespace/name`, or `kind/name` for cluster-scoped objects. */
export interface Target {
  kind: string;
  namespace?: string;
  name: string;
}

export interface ActionDefinition {
  id: string;
  class: ActionClass;
  displayName: string;
  description: string;
  /** What undoes it, or the next fallback when nothing can (shown in approval prompts). */
  rollback: string;
  /** The action that puts back what this one changed, when verification finds it did not help. */
  undo?: string;
  /** What the operator should expect when it runs (shown in approval prompts). */
  impact: string;
  /** Whether running it twice with the same input leaves the same state (production auto-contain requires it). */
  idempotent: boolean;
  /**
   * Whether the action changes the managed system or what operators are told (everything but
   * observe and notify). Confidence, pause, production and never-auto-contain gates apply only to these.
   */
  mutating: boolean;
}

export interface SeverityRule {
  severity: Severity;
  /** Human-readable condition from the seed, e.g. "pressure persists > 10m". */
  when: string;
}

export interface EvidenceRules {
  primary: string[];
  secondary: string[];
}

/** How one action relates to one incident class: the cells of the seed's policy matrix. */
export interface ActionBinding {
  action: string;
  /**
   * `auto`: allowed automatically (subject to allowlist, confidence, environment and hard constraints).
   * `approval`: always needs an authorised human.
   * `human_only`: the robot may only describe it.
   */
  mode: 'auto' | 'approval' | 'human_only';
  /** For `auto` contain actions: only targets on the allowlist are automatic. */
  allowlistOnly?: boolean;
  /** Environments where an `auto` binding is automatic; elsewhere it needs approval. Absent = all. */
  autoEnvironments?: Environment[];
  /** What the seed calls it for this class, e.g. "shared dependency restart". */
  note?: string;
}

export interface CooldownPolicy {
  /** Interval between observations of the same incident. */
  observationSeconds: number;
  /** Repeats of the same subject and type within this window correlate into one incident. */
  duplicateSuppressionSeconds: number;
  /** The same non-disruptive action on the same target is not retried sooner. */
  sameActionRetrySeconds: number;
  /** A disruptive action on the same target is not retried sooner. */
  disruptiveRetrySeconds: number;
}

export interface IncidentClass {
  type: string;
  domain: Domain;
  displayName: string;
  description: string;
  defaultSeverity: Severity;
  severityRules: SeverityRule[];
  evidence: EvidenceRules;
  rootCauseHypotheses: string[];
  actions: ActionBinding[];
  /** Exit criteria checked by verification. */
  exitCriteria: string[];
  cooldownOverrides?: Partial<CooldownPolicy>;
  /** Subject type the class is raised on (node, pod, deployment, service, channel, release …). */
  subjectType: string;
}

/** A pattern over targets; each part is a glob, absent parts match anything. */
export interface TargetPattern {
  kind?: string;
  namespace?: string;
  name?: string;
  /** Why it is listed, shown in reasons. */
  note?: string;
}

/** A never-auto-contain entry: hard constraint, not tunable by operators. */
export interface ProtectedTarget extends TargetPattern {
  /** Actions this entry does not hold back because they never touch the protected object itself. */
  exceptActions?: string[];
}

export interface AllowlistEntry extends TargetPattern {
  /** Actions this entry allows automatically. */
  actions: string[];
  /** Environments where it applies; absent = all. */
  environments?: Environment[];
}

/** Where a conversation goes and whom it names; the severity's own entry wins over the defaults. */
export interface NotificationRoute {
  /** Chat channels in failover order (telegram, slack, whatsapp); the console always closes the route. */
  channels?: string[];
  /**
   * Configured chat names in order of preference (channels.<channel>.chats): on each channel the
   * thread opens in the first one that channel has, else in its default chat.
   */
  chats?: string[];
  /** Names put on the root message, e.g. @oncall-batch. */
  mentions?: string[];
}

export interface NotificationPolicy extends NotificationRoute {
  bySeverity?: Partial<Record<Severity, NotificationRoute>>;
}

/** Raises (never lowers) the severity when `when` holds, or once the incident is `afterMinutes` old, or both. */
export interface SeverityEscalation {
  to: Severity;
  /** CEL over the rule view (docs/rules.md). */
  when?: string;
  afterMinutes?: number;
}

/** The seed's operator rule schema. Operators tune; hard constraints still win. */
export interface OperatorRule {
  id: string;
  name: string;
  enabled: boolean;
  domain?: Domain;
  incidentType: string;
  environmentScope: Environment[];
  signalSelector?: SignalSelector;
  /** CEL over the rule view: the rule applies only while it holds (docs/rules.md). */
  thresholdExpression?: string;
  /** Replaces the built-in severity when the incident opens (and the severity a repeat reports). */
  severity?: Severity;
  severityEscalation?: SeverityEscalation[];
  notificationPolicy?: NotificationPolicy;
  allowedActionProfile?: {
    /** Actions the operator wants automatic; honoured only where the binding is already `auto`. */
    auto?: string[];
    /** Actions that must always be approved. */
    requireApproval?: string[];
    /** Actions that must never run for this type. */
    deny?: string[];
    /** Extra allowlisted targets inside the pre-approved families. */
    allowlist?: AllowlistEntry[];
  };
  cooldownSeconds?: Partial<CooldownPolicy>;
  /** Windows in which matching incidents are recorded but not notified. */
  suppressionSchedule?: SuppressionWindow[];
  /** Disables the incident type entirely in the scoped environments when false. */
  incidentTypeEnabled?: boolean;
  /** `shadow`: evaluated beside the live rules and recorded, never applied (docs/rules.md "Shadow mode"). */
  mode?: 'live' | 'shadow';
  owner: string;
  version: number;
}

/** A rule whose expression could not be evaluated for this incident: no automatic action, and the thread says why. */
export interface RuleFailure {
  ruleId: string;
  version: number;
  /** thresholdExpression or severityEscalation.<i>.when */
  field: string;
  error: string;
}

/** A past action on a target, as the cooldown check needs it. */
export interface ActionRecord {
  action: string;
  target: string;
  incidentType: string;
  /** Epoch milliseconds the action started. */
  at: number;
}

/**
 * Remediation budgets and what is spent of them now: however right each
 * action is, the robot stops acting on its own past these and asks instead
 * (a bad detector or a flapping cluster must not become a storm of changes).
 */
export interface BudgetState {
  /** Automatic mutating actions allowed to run at once, and how many are running. */
  maxConcurrent: number;
  inFlight: number;
  /** Automatic mutating actions allowed per namespace per hour, and how many started in the target's namespace in the last hour. */
  maxPerNamespacePerHour: number;
  inNamespaceLastHour: number;
}

export interface PolicyQuery {
  incidentType: string;
  action: string;
  target?: Target;
  environment: Environment;
  confidence: Confidence;
  /** Epoch milliseconds. */
  now: number;
  history?: ActionRecord[];
  /** The rules that apply to this incident (rule-set.ts resolves selector and threshold). */
  rules?: OperatorRule[];
  /** Rules in scope whose expression failed: nothing mutating is automatic while any does. */
  ruleFailures?: RuleFailure[];
  /** Global pause of automatic actions. */
  paused?: boolean;
  /** robosre's watches whose view of the cluster is stale (kube_state_stuck), described; any makes every write fail closed. */
  staleView?: string[];
  budget?: BudgetState;
  /** The action this one undoes (its catalogue `undo`); an undo is judged by the binding of what it undoes. */
  rollbackOf?: string;
  /** The open storm the incident is a member of: its per-member recover and disruptive actions are the storm's to plan. */
  storm?: StormMembership;
  /** How many of the cluster's nodes are unhealthy, for actions on a node (medik8s's `maxUnhealthy`). */
  nodeHealth?: NodeHealth;
}

export interface StormMembership {
  stormId: number;
  /** What the storm is, in a few words: `40 of 50 nodes of cluster prod NotReady`. */
  summary: string;
}

export interface NodeHealth {
  unhealthy: number;
  total: number;
  /** Past this many unhealthy nodes node remediation stops altogether (`storms.maxUnhealthyNodes`, resolved to a count). */
  max: number;
}

export interface CooldownBlock {
  kind: 'same_action_retry' | 'disruptive_retry';
  seconds: number;
  /** Epoch milliseconds when the action becomes possible again. */
  until: number;
}

export interface PolicyDecision {
  decision: Decision;
  reasons: string[];
  actionClass: ActionClass;
  cooldown?: CooldownBlock;
}
