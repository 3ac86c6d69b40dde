/**
 * The durable shape of robosre. Every worker step commits here before the
 * next one starts, so a crash at any point resumes from these rows alone.
 * Timestamps are epoch milliseconds; JSON columns hold plain data only.
 */
import { sqliteTable, text, integer, blob, index, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { ActionParams } from '../engine/executor.js';
import type { OperatorRule } from '../../policies/types.js';

export const incidents = sqliteTable(
  'incidents',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    subject: text('subject').notNull(),
    subjectType: text('subject_type').notNull(),
    cluster: text('cluster').notNull(),
    incidentType: text('incident_type').notNull(),
    domain: text('domain').notNull(),
    severity: text('severity').notNull(),
    confidence: text('confidence').notNull(),
    status: text('status').notNull(),
    environment: text('environment').notNull(),
    trigger: text('trigger').notNull(),
    triggerParams: text('trigger_params', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    signalSources: text('signal_sources', { mode: 'json' }).$type<string[]>().notNull(),
    resourceScope: text('resource_scope', { mode: 'json' }).$type<ResourceScope>().notNull(),
    /** Node the affected resource runs on, kept as a column so node incidents find their children by index. */
    scopeNode: text('scope_node'),
    evidenceSummary: text('evidence_summary').notNull(),
    rawEvidenceRefs: text('raw_evidence_refs', { mode: 'json' }).$type<string[]>().notNull(),
    approvalState: text('approval_state').notNull(),
    parentId: integer('parent_id'),
    /** What the incident may share a cause with (`nodes:<type>`, `owner:<kind/ns/name>:<type>`, `am:<group>`): its storm's key (docs/storms.md). */
    groupKey: text('group_key'),
    handler: text('handler').notNull(),
    handlerState: text('handler_state', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    phase: text('phase').notNull(),
    /** When the worker must look again (epoch ms), or null when it waits only for events. */
    wakeAt: integer('wake_at'),
    occurrences: integer('occurrences').notNull(),
    reopenCount: integer('reopen_count').notNull(),
    lastSignalStatus: text('last_signal_status').notNull(),
    firstSeenAt: integer('first_seen_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    resolvedAt: integer('resolved_at'),
    /** Who took the incident in hand; shown on every channel's status line. */
    acknowledgedBy: text('acknowledged_by'),
    acknowledgedAt: integer('acknowledged_at'),
    /** Chat updates are held back until then (approval prompts and the resolution still go out). */
    silencedUntil: integer('silenced_until'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('incidents_subject_type').on(t.subject, t.incidentType, t.id),
    index('incidents_status').on(t.status, t.id),
    index('incidents_scope_node').on(t.cluster, t.scopeNode),
    index('incidents_group').on(t.cluster, t.groupKey, t.id),
    // A storm counts and lists its members by parent; with the status, counting its open members reads the index alone.
    index('incidents_parent').on(t.parentId, t.status),
  ],
);

export interface ResourceScope {
  cluster: string;
  kind?: string;
  namespace?: string;
  name?: string;
  node?: string;
}

/** The timeline: every signal, analysis, decision, message, approval and action, in order. */
export const incidentEvents = sqliteTable(
  'incident_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    incidentId: integer('incident_id')
      .notNull()
      .references(() => incidents.id),
    at: integer('at').notNull(),
    kind: text('kind').notNull(),
    summary: text('summary').notNull(),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index('incident_events_incident').on(t.incidentId, t.id)],
);

export const actions = sqliteTable(
  'actions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    incidentId: integer('incident_id')
      .notNull()
      .references(() => incidents.id),
    actionId: text('action_id').notNull(),
    actionClass: text('action_class').notNull(),
    target: text('target').notNull(),
    /** The target's namespace as the remediation budgets count it (`kind/<ns>/name`, `namespace/<ns>`); null when cluster-scoped. */
    namespace: text('namespace'),
    why: text('why').notNull(),
    decision: text('decision').notNull(),
    reasons: text('reasons', { mode: 'json' }).$type<string[]>().notNull(),
    /** planned → ready | awaiting_approval | recommended | denied → started → succeeded | failed; or blocked, expired, rejected. */
    status: text('status').notNull(),
    /** Recorded before the executor is called; the executor must treat a repeated key as the same action. */
    idempotencyKey: text('idempotency_key').notNull(),
    /** What the action needs beyond its target: the row it undoes, the target version an approval was asked on, a reviewed patch. */
    params: text('params', { mode: 'json' }).$type<ActionParams>().notNull().default({}),
    before: text('before', { mode: 'json' }).$type<unknown>(),
    after: text('after', { mode: 'json' }).$type<unknown>(),
    result: text('result', { mode: 'json' }).$type<Record<string, unknown>>(),
    createdAt: integer('created_at').notNull(),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
  },
  (t) => [
    uniqueIndex('actions_idempotency_key').on(t.idempotencyKey),
    index('actions_incident').on(t.incidentId),
    index('actions_target').on(t.actionId, t.target, t.startedAt),
    // Every plan counts the budgets: actions running, and the target namespace's last hour.
    index('actions_status').on(t.status),
    index('actions_namespace').on(t.namespace, t.createdAt),
  ],
);

export const approvals = sqliteTable(
  'approvals',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    incidentId: integer('incident_id')
      .notNull()
      .references(() => incidents.id),
    actionRowId: integer('action_row_id')
      .notNull()
      .references(() => actions.id),
    /** Short code people type in chat ("approve 7F3K"). */
    code: text('code').notNull(),
    /** Distinct people who must approve: two for disruptive actions in production when so configured. */
    requiredApprovals: integer('required_approvals').notNull().default(1),
    /** The person whose request created the action, or `robosre`; self-approval may be forbidden. */
    requestedBy: text('requested_by').notNull().default('robosre'),
    status: text('status').notNull(),
    prompt: text('prompt', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    requestedAt: integer('requested_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    decidedBy: text('decided_by'),
    decidedAt: integer('decided_at'),
    reason: text('reason'),
  },
  (t) => [
    uniqueIndex('approvals_action').on(t.actionRowId),
    uniqueIndex('approvals_code').on(t.code),
    index('approvals_status').on(t.status),
  ],
);

/** One person's vote on an approval; a second vote by the same person is refused by the key. */
export const approvalVotes = sqliteTable(
  'approval_votes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    approvalId: integer('approval_id')
      .notNull()
      .references(() => approvals.id),
    person: text('person').notNull(),
    channel: text('channel').notNull(),
    vote: text('vote').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [uniqueIndex('approval_votes_person').on(t.approvalId, t.person)],
);

/**
 * Every outbound message and action intent, written in the same transaction
 * as the state change that caused it; delivery is at-least-once and the
 * unique key de-duplicates retries.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    key: text('key').notNull(),
    kind: text('kind').notNull(),
    incidentId: integer('incident_id').references(() => incidents.id),
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull(),
    availableAt: integer('available_at').notNull(),
    createdAt: integer('created_at').notNull(),
    deliveredAt: integer('delivered_at'),
    lastError: text('last_error'),
  },
  (t) => [uniqueIndex('outbox_key').on(t.key), index('outbox_pending').on(t.status, t.availableAt)],
);

/** Signal ids already ingested, so an at-least-once source never double-counts. */
export const signals = sqliteTable('signals', {
  id: text('id').primaryKey(),
  incidentId: integer('incident_id').references(() => incidents.id),
  receivedAt: integer('received_at').notNull(),
});

/** One conversation per incident and channel, with the platform's handle of its root message. */
export const threads = sqliteTable(
  'threads',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    incidentId: integer('incident_id')
      .notNull()
      .references(() => incidents.id),
    channel: text('channel').notNull(),
    handle: text('handle', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('threads_incident_channel').on(t.incidentId, t.channel)],
);

/**
 * A message of the outbox on one channel, with its receipt. `sending` is
 * committed before the platform call and `sent` right after, so a restart
 * knows which calls may have reached the platform.
 */
export const deliveries = sqliteTable(
  'deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    outboxKey: text('outbox_key').notNull(),
    incidentId: integer('incident_id')
      .notNull()
      .references(() => incidents.id),
    channel: text('channel').notNull(),
    /** open | reply | prompt | edit_root | edit_prompt */
    op: text('op').notNull(),
    approvalId: integer('approval_id'),
    /** pending | sending | sent | failed | superseded | moved */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull(),
    notBefore: integer('not_before').notNull(),
    firstAttemptAt: integer('first_attempt_at'),
    /** How often this send may have reached the platform before a crash and was sent again (each may be a duplicate). */
    ambiguousResends: integer('ambiguous').notNull().default(0),
    lastError: text('last_error'),
    ref: text('ref', { mode: 'json' }).$type<Record<string, unknown>>(),
    createdAt: integer('created_at').notNull(),
    sentAt: integer('sent_at'),
  },
  (t) => [
    uniqueIndex('deliveries_key').on(t.outboxKey, t.channel, t.op),
    index('deliveries_queue').on(t.channel, t.status, t.id),
    index('deliveries_incident').on(t.incidentId, t.id),
  ],
);

/**
 * A metric chart of an incident at one moment of it (`r<reopen>:opened`, `r<reopen>:ended`): the chart
 * spec, from which the SVG is made again on demand (it is pure and takes under a millisecond), and the
 * PNG the chats are sent, kept so a retried or failed-over delivery and the signed media link send the
 * same bytes without asking Prometheus again. `png` is null when the render failed (`error` says why):
 * the thread then gets the text sparkline.
 */
export const graphs = sqliteTable(
  'graphs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    incidentId: integer('incident_id')
      .notNull()
      .references(() => incidents.id),
    moment: text('moment').notNull(),
    spec: text('spec', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    png: blob('png', { mode: 'buffer' }),
    error: text('error'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('graphs_incident_moment').on(t.incidentId, t.moment)],
);

/** Whether a channel can deliver, and why not; survives restarts so failover does too. */
export const channelState = sqliteTable('channel_state', {
  channel: text('channel').primaryKey(),
  healthy: integer('healthy', { mode: 'boolean' }).notNull(),
  since: integer('since').notNull(),
  reason: text('reason'),
  data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
});

/** Every command and press from a chat, allowed or refused. */
export const audit = sqliteTable(
  'audit',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    channel: text('channel').notNull(),
    identity: text('identity'),
    person: text('person'),
    input: text('input').notNull(),
    outcome: text('outcome').notNull(),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index('audit_at').on(t.at)],
);

/** Small durable settings: the global pause, the button-signing key, the installation id (written once). */
export const kv = sqliteTable('kv', {
  key: text('key').primaryKey(),
  value: text('value', { mode: 'json' }).$type<unknown>().notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * Console sessions (docs/security.md): the cookie's SHA-256, never the cookie;
 * the person and the digest of the token they signed in with, so a session
 * ends when its token is removed from the config; deleted at sign-out.
 */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    person: text('person').notNull(),
    tokenDigest: text('token_digest').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('sessions_expiry').on(t.expiresAt)],
);

/**
 * Webhook requests already handled (a Slack signature, a Twilio MessageSid, a
 * Telegram update_id), kept until a replay could no longer be told apart from
 * a new request, so a captured request is not run twice, across restarts too.
 */
export const handledRequests = sqliteTable(
  'handled_requests',
  {
    key: text('key').primaryKey(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('handled_requests_expiry').on(t.expiresAt)],
);

/**
 * Operator rules kept as data (docs/rules.md "Rules as data"): the head of
 * each custom rule, one row per rule id. `version` is the number of its newest
 * revision; a deleted rule keeps its row (and its version sequence) with
 * `deleted` set, so a later create continues its history.
 */
export const customRules = sqliteTable('custom_rules', {
  id: text('id').primaryKey(),
  version: integer('version').notNull(),
  rule: text('rule', { mode: 'json' }).$type<OperatorRule>().notNull(),
  deleted: integer('deleted', { mode: 'boolean' }).notNull(),
  updatedAt: integer('updated_at').notNull(),
  updatedBy: text('updated_by').notNull(),
});

/**
 * Every change to a custom rule, never updated or deleted: who (the API
 * token's person), when, why, the whole rule after the change and its diff
 * against the revision before. The unique (rule, version) index is the
 * optimistic lock: two writers of the same version cannot both commit.
 */
export const ruleRevisions = sqliteTable(
  'rule_revisions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ruleId: text('rule_id').notNull(),
    version: integer('version').notNull(),
    change: text('change').notNull(),
    rule: text('rule', { mode: 'json' }).$type<OperatorRule>().notNull(),
    diff: text('diff', { mode: 'json' }).$type<RuleDiffEntry[]>().notNull(),
    reason: text('reason').notNull(),
    by: text('by').notNull(),
    at: integer('at').notNull(),
    /** The version a `restore` brought back. */
    restoredFrom: integer('restored_from'),
    /** The second admin who confirmed a change a blast-radius guard held (docs/rules.md "Blast-radius guards"). */
    confirmedBy: text('confirmed_by'),
  },
  (t) => [uniqueIndex('rule_revisions_rule_version').on(t.ruleId, t.version)],
);

/**
 * What a shadow rule would have changed on an incident, one row per rule
 * version and incident (the unique index: judged again, it is not recorded
 * twice). An empty `differences` counts the incident as evaluated.
 */
export const ruleShadowResults = sqliteTable(
  'rule_shadow_results',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ruleId: text('rule_id').notNull(),
    ruleVersion: integer('rule_version').notNull(),
    incidentId: integer('incident_id').notNull(),
    at: integer('at').notNull(),
    differences: text('differences', { mode: 'json' }).$type<ShadowDifference[]>().notNull(),
  },
  (t) => [uniqueIndex('rule_shadow_results_rule_incident').on(t.ruleId, t.ruleVersion, t.incidentId)],
);

export interface ShadowDifference {
  what: string;
  live: string;
  shadow: string;
}

/**
 * A rule change a blast-radius guard held until a second admin confirms or
 * rejects it (docs/rules.md "Blast-radius guards"). `request` is the change's
 * arguments, replayed as they were when confirmed.
 */
export const pendingRuleChanges = sqliteTable(
  'pending_rule_changes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ruleId: text('rule_id').notNull(),
    kind: text('kind').notNull(),
    request: text('request', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    guards: text('guards', { mode: 'json' }).$type<Record<string, unknown>[]>().notNull(),
    reason: text('reason').notNull(),
    requestedBy: text('requested_by').notNull(),
    requestedAt: integer('requested_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    /** pending, confirmed or rejected. */
    status: text('status').notNull(),
    decidedBy: text('decided_by'),
    decidedAt: integer('decided_at'),
    decisionReason: text('decision_reason'),
  },
  (t) => [index('pending_rule_changes_status').on(t.status, t.expiresAt)],
);

/** One changed leaf of a rule: absent `before` is an addition, absent `after` a removal. */
export interface RuleDiffEntry {
  path: string;
  before?: unknown;
  after?: unknown;
}
