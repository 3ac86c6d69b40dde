/**
 * The incident model: the seed's evidence schema (004) plus the issue model
 * of seed 000 (subject, trigger, parent, handler and handler state).
 */
import type { Confidence, Decision, Environment, Severity } from '../../policies/types.js';
import type { ResourceScope } from '../store/schema.js';
import type { ActionParams } from './executor.js';

export const INCIDENT_STATUSES = [
  'observed',
  'triaged',
  'contained',
  'recovering',
  'resolved',
  'suppressed',
  'escalated',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Where the incident's worker stands; separate from the status a human reads. */
export const WORKER_PHASES = ['analyze', 'plan', 'execute', 'await_approval', 'verify', 'done'] as const;
export type WorkerPhase = (typeof WORKER_PHASES)[number];

export type ApprovalState = 'none' | 'pending' | 'approved' | 'denied' | 'expired' | 'mixed';

export type SignalStatus = 'firing' | 'resolved';

/** What a detector reports. One signal is one observation; repeats correlate. */
export interface Signal {
  /** Source-unique id; a signal id seen before is ignored (at-least-once sources). */
  id?: string;
  /** Detector kind: kubernetes_event, metric_threshold, health_check, alertmanager, … */
  trigger: string;
  incidentType: string;
  cluster: string;
  /** `cluster.type.resource[.subresource]`, e.g. `prod.node.node-40`. */
  subject: string;
  status: SignalStatus;
  observedAt: number;
  severity?: Severity;
  /** How sure the detector is; analysis may raise or lower it. */
  confidence?: Confidence;
  /** The object the robot would act on, `kind/namespace/name` or `kind/name`. */
  target?: string;
  /** Node the resource runs on: links pod incidents to the node incident that causes them. */
  node?: string;
  summary?: string;
  params?: Record<string, unknown>;
  /** What the signal may share a cause with, so that many of them become one storm (docs/storms.md). */
  group?: SignalGroup;
}

/**
 * A storm key: incidents of one key opened within the storm window become members of one storm
 * incident — the nodes of a cluster, the pods of one owner, the alerts of one Alertmanager group.
 */
export interface SignalGroup {
  /** `nodes:<type>`, `owner:<kind/namespace/name>:<type>`, `am:<groupKey>`. */
  key: string;
  kind: StormKind;
  /** What the members are, for the storm's thread: `nodes of cluster prod`, `pods of deployment/shop/web`. */
  label: string;
  /** How many there are in all (the cluster's nodes), when the source knows: storms of nodes need more than a share of them. */
  population?: number;
  /** A node's zone (`topology.kubernetes.io/zone`) and how many nodes the zone has: a zone failing is a storm even below the cluster's share. */
  zone?: { name: string; population: number };
}

/** An incident another is the parent of, as lists show it: a storm's member (what its handler and thread see), a node's pod. */
export type ChildIncident = Pick<Incident, 'id' | 'subject' | 'incidentType' | 'status' | 'severity'>;

export const STORM_KINDS = ['nodes', 'owner', 'alert_group'] as const;
export type StormKind = (typeof STORM_KINDS)[number];

export interface Incident {
  id: number;
  subject: string;
  subjectType: string;
  cluster: string;
  incidentType: string;
  domain: string;
  severity: Severity;
  confidence: Confidence;
  status: IncidentStatus;
  environment: Environment;
  trigger: string;
  triggerParams: Record<string, unknown>;
  signalSources: string[];
  resourceScope: ResourceScope;
  /** The node the affected resource runs on (resourceScope.node), indexed for parent links. */
  scopeNode: string | null;
  evidenceSummary: string;
  rawEvidenceRefs: string[];
  approvalState: ApprovalState;
  parentId: number | null;
  /** The storm key of the incident's first signal (`Signal.group`); a storm incident carries its members' key. */
  groupKey: string | null;
  handler: string;
  handlerState: Record<string, unknown>;
  phase: WorkerPhase;
  wakeAt: number | null;
  occurrences: number;
  reopenCount: number;
  lastSignalStatus: SignalStatus;
  firstSeenAt: number;
  lastSeenAt: number;
  resolvedAt: number | null;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  silencedUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export type ActionStatus =
  | 'ready'
  | 'awaiting_approval'
  | 'recommended'
  | 'denied'
  | 'started'
  | 'succeeded'
  | 'failed'
  | 'blocked'
  | 'expired'
  | 'rejected';

export interface ActionRow {
  id: number;
  incidentId: number;
  actionId: string;
  actionClass: string;
  target: string;
  why: string;
  decision: Decision;
  reasons: string[];
  status: ActionStatus;
  idempotencyKey: string;
  params: ActionParams;
  before: unknown;
  after: unknown;
  result: Record<string, unknown> | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

export interface ApprovalRow {
  id: number;
  incidentId: number;
  actionRowId: number;
  /** Short code people type in chat. */
  code: string;
  requiredApprovals: number;
  requestedBy: string;
  status: ApprovalStatus;
  prompt: Record<string, unknown>;
  requestedAt: number;
  expiresAt: number;
  decidedBy: string | null;
  decidedAt: number | null;
  reason: string | null;
}

export type TimelineKind =
  | 'signal'
  | 'reopened'
  | 'transition'
  | 'analysis'
  | 'decision'
  | 'message'
  | 'approval_requested'
  | 'approval_decided'
  | 'action_started'
  | 'action_finished'
  | 'verification'
  | 'escalation'
  | 'parent_linked'
  | 'severity_raised'
  /** An operator rule's effect or failure on this incident. */
  | 'rule'
  | 'evidence'
  /** The incident joined a storm, or a storm gained or lost a member (docs/storms.md). */
  | 'storm'
  /** The AI analyst's answer, failure or skip (docs/ai.md): a model's unverified narrative. */
  | 'ai';

export interface TimelineEvent {
  id: number;
  incidentId: number;
  at: number;
  kind: TimelineKind;
  summary: string;
  data: Record<string, unknown>;
}
