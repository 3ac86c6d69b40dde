/**
 * Alert labels → incident signals. Operator rules are tried first, then the
 * defaults (`defaults.ts`); the first rule that matches and can build a valid
 * subject wins. An alert no rule maps becomes an `unclassified_alert`
 * incident of its own instead of being dropped. Rule format and the default
 * table are documented in docs/alertmanager.md.
 */
import { z } from 'zod';
import { INCIDENT_TYPES } from '../../policies/taxonomy.js';
import { CONFIDENCES, type Severity } from '../../policies/types.js';
import { RobosreError } from '../../src/errors.js';
import { createHash } from 'node:crypto';
import type { Signal, SignalGroup } from '../../src/engine/model.js';
import { parseSignal, SIGNAL_LIMITS } from '../../src/engine/signal.js';
import { DEFAULTS } from './defaults.js';
import { compileTemplate, labelValue, type Labels } from './template.js';
import { WEBHOOK_LIMITS, type WebhookAlert } from './webhook.js';
import { clip } from '../../conversations/text.js';

/** In a rule, `generic` means "an unclassified alert, but with a subject I choose". */
export const GENERIC = 'generic';
export const UNCLASSIFIED = 'unclassified_alert';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const template = z.string().min(1).superRefine((value, ctx) => {
  try {
    compileTemplate(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const regex = z.string().superRefine((value, ctx) => {
  try {
    new RegExp(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(error as Error).message}` });
  }
});

export const alertMappingSchema = z
  .object({
    /** Label equality; an absent label equals "" (Alertmanager's matcher semantics). */
    match: z.record(z.string().regex(LABEL_NAME), z.string()).optional(),
    /** Label regular expressions, anchored at both ends like Alertmanager's `=~`. */
    matchRegex: z.record(z.string().regex(LABEL_NAME), regex).optional(),
    incidentType: z.string().refine((t) => t === GENERIC || INCIDENT_TYPES.includes(t), {
      message: `must be "${GENERIC}" or a known incident type: ${INCIDENT_TYPES.join(', ')}`,
    }),
    subject: z
      .object({
        type: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and dashes'),
        resource: template,
      })
      .strict()
      .optional(),
    /** `kind/namespace/name` or `kind/name`: what the robot would act on. */
    target: template.optional(),
    /** The node the resource runs on: links the incident to a node incident as its parent. */
    node: template.optional(),
    confidence: z.enum(CONFIDENCES).optional(),
  })
  .strict()
  .refine((r) => Object.keys(r.match ?? {}).length + Object.keys(r.matchRegex ?? {}).length > 0, {
    message: 'a rule needs at least one label in match or matchRegex',
  })
  .refine((r) => r.subject !== undefined || r.incidentType === GENERIC, {
    message: `subject is required unless incidentType is "${GENERIC}"`,
    path: ['subject'],
  });

export const alertMappingsSchema = z.array(alertMappingSchema);

export type AlertMapping = z.infer<typeof alertMappingSchema>;

/** Validated at load, so a broken default fails every test rather than an alert in production. */
export const DEFAULT_MAPPINGS: readonly AlertMapping[] = alertMappingsSchema.parse(DEFAULTS);

/** A misconfigured cluster name makes even the unclassified fallback invalid: the server's fault, not the sender's. */
export class AlertMappingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AlertMappingError';
  }
}

/** An alert no signal can be built from; the webhook schema is meant to make this unreachable, so it is refused alone if it ever happens. */
export class UnmappableAlertError extends Error {
  constructor(readonly reason: string) {
    super(`cannot map the alert: ${reason}`);
    this.name = 'UnmappableAlertError';
  }
}

const ID_PREFIX = 'am:';
/** `am:<fingerprint>:<startsAt>:<status>` at the webhook schema's bounds; checked at load so a loosened bound fails every test, not an alert. */
const LONGEST_ID = ID_PREFIX.length + WEBHOOK_LIMITS.fingerprint + 1 + WEBHOOK_LIMITS.timestamp + 1 + 'resolved'.length;
if (LONGEST_ID > SIGNAL_LIMITS.id) throw new Error(`an Alertmanager signal id can be ${LONGEST_ID} characters, over the signal cap of ${SIGNAL_LIMITS.id}: tighten WEBHOOK_LIMITS`);

const SEVERITY = new Map<string, Severity>([
  ['critical', 'critical'],
  ['warning', 'warning'],
  ['info', 'info'],
  ['none', 'info'],
]);

const regexCache = new Map<string, RegExp>();
function anchored(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) {
    re = new RegExp(`^(?:${source})$`);
    regexCache.set(source, re);
  }
  return re;
}

function matches(rule: AlertMapping, labels: Labels): boolean {
  for (const [name, value] of Object.entries(rule.match ?? {})) if (labelValue(labels, name) !== value) return false;
  for (const [name, source] of Object.entries(rule.matchRegex ?? {})) if (!anchored(source).test(labelValue(labels, name))) return false;
  return true;
}

/** Label values are free text; a subject segment may hold neither dots nor blanks. */
function segment(value: string): string {
  return value.replace(/[^A-Za-z0-9_:-]+/g, '_');
}

function unclassifiedResource(labels: Labels): string {
  const name = segment(labelValue(labels, 'alertname')) || 'unnamed';
  const namespace = labelValue(labels, 'namespace');
  return namespace ? `${name}.${segment(namespace)}` : name;
}

function observedAt(alert: WebhookAlert): number {
  const ended = alert.endsAt ? Date.parse(alert.endsAt) : -1;
  return alert.status === 'resolved' && ended >= 0 ? ended : Date.parse(alert.startsAt);
}

function summaryOf(alert: WebhookAlert): string {
  const a = alert.annotations ?? {};
  const text = labelValue(a, 'summary') || labelValue(a, 'description') || labelValue(a, 'message');
  const line = `${labelValue(alert.labels, 'alertname') || 'alert'}${text ? `: ${text}` : ''}`;
  return clip(line, SIGNAL_LIMITS.summary);
}

/** The fields every signal from one alert shares, whichever rule maps it. */
function base(alert: WebhookAlert, cluster: string, mapping: string): Omit<Signal, 'incidentType' | 'subject'> {
  const severity = SEVERITY.get(labelValue(alert.labels, 'severity').toLowerCase());
  return {
    // A resend of the same firing alert repeats this id and is dropped; a new firing has a new startsAt.
    id: `${ID_PREFIX}${alert.fingerprint}:${alert.startsAt}:${alert.status}`,
    trigger: 'alertmanager',
    cluster,
    status: alert.status,
    observedAt: observedAt(alert),
    summary: summaryOf(alert),
    ...(severity ? { severity } : {}),
    params: {
      alert: {
        labels: alert.labels,
        annotations: alert.annotations ?? {},
        fingerprint: alert.fingerprint,
        startsAt: alert.startsAt,
        ...(alert.generatorURL ? { generatorURL: alert.generatorURL } : {}),
        mapping,
      },
    },
  };
}

type Built = { signal: Signal } | { problems: string };

function build(candidate: Signal): Built {
  try {
    return { signal: parseSignal(candidate) };
  } catch (error) {
    if (error instanceof RobosreError && error.code === 'invalid_signal') return { problems: error.message };
    throw error;
  }
}

function tryParse(candidate: Signal): Signal | undefined {
  const built = build(candidate);
  return 'signal' in built ? built.signal : undefined;
}

/** Whether `cluster` can start a subject at all: when not, no alert can map, and that is the configuration's fault. */
function clusterIsValid(cluster: string): boolean {
  return tryParse({ trigger: 'alertmanager', incidentType: UNCLASSIFIED, cluster, subject: `${cluster}.alert.probe`, status: 'firing', observedAt: 0 }) !== undefined;
}

function fromRule(rule: AlertMapping, alert: WebhookAlert, cluster: string, mapping: string): Signal | undefined {
  const labels = alert.labels;
  const resource = rule.subject ? compileTemplate(rule.subject.resource).render(labels) : unclassifiedResource(labels);
  if (resource === undefined) return undefined;
  const target = rule.target ? compileTemplate(rule.target).render(labels) : undefined;
  const node = rule.node ? compileTemplate(rule.node).render(labels) : undefined;
  return tryParse({
    ...base(alert, cluster, mapping),
    incidentType: rule.incidentType === GENERIC ? UNCLASSIFIED : rule.incidentType,
    subject: `${cluster}.${rule.subject?.type ?? 'alert'}.${resource.replace(/\s+/g, '_')}`,
    ...(target ? { target } : {}),
    ...(node ? { node } : {}),
    ...(rule.confidence ? { confidence: rule.confidence } : {}),
  });
}

function firstMapped(rules: readonly AlertMapping[], origin: string, alert: WebhookAlert, cluster: string): Signal | undefined {
  for (const [i, rule] of rules.entries()) {
    if (!matches(rule, alert.labels)) continue;
    const signal = fromRule(rule, alert, cluster, `${origin}#${i}`);
    if (signal) return signal;
  }
  return undefined;
}

/**
 * Pure: the same alert, rules and cluster always give the same signal.
 * A rule whose subject needs a label the alert lacks, or whose rendered
 * subject is not a valid subject, is skipped for the next one.
 *
 * @example mapAlert(alert({ alertname: 'KubeNodeNotReady', node: 'w1' }), [], 'prod').subject // "prod.node.w1"
 */
export function mapAlert(alert: WebhookAlert, mappings: readonly AlertMapping[], cluster: string): Signal {
  const mapped = firstMapped(mappings, 'operator', alert, cluster) ?? firstMapped(DEFAULT_MAPPINGS, 'default', alert, cluster);
  if (mapped) return mapped;
  const fallback = build({
    ...base(alert, cluster, 'unmatched'),
    incidentType: UNCLASSIFIED,
    subject: `${cluster}.alert.${unclassifiedResource(alert.labels)}`,
  });
  if ('signal' in fallback) return fallback.signal;
  if (!clusterIsValid(cluster)) throw new AlertMappingError(`cannot build a signal for cluster "${cluster}": check cluster.name in the configuration`);
  throw new UnmappableAlertError(fallback.problems);
}

/**
 * Several alerts can share one subject (two containers of a crash-looping
 * pod); the incident is the subject's, so a resolved alert must not close it
 * while an alert of the same payload (in practice, of the same Alertmanager
 * group) still fires on that subject. Returns the signals to ingest and how
 * many resolutions were held back.
 */
export function holdBack(mapped: readonly Signal[]): { signals: Signal[]; heldBack: number } {
  const key = (s: Signal): string => `${s.incidentType} ${s.subject}`;
  const firing = new Set(mapped.filter((s) => s.status === 'firing').map(key));
  const signals = mapped.filter((s) => s.status === 'firing' || !firing.has(key(s)));
  return { signals, heldBack: mapped.length - signals.length };
}

/**
 * The alerts of one Alertmanager group share what the group's labels say (Alertmanager grouped them for it):
 * their incidents become members of one storm when enough open together (docs/storms.md). The key is a hash
 * of the group key, which may be long and carry any character.
 */
export function alertGroup(groupKey: string | undefined, groupLabels: Labels | undefined): SignalGroup | undefined {
  if (!groupKey) return undefined;
  const labels = Object.entries(groupLabels ?? {}).map(([k, v]) => `${k}="${v}"`).join(', ');
  return {
    key: `am:${createHash('sha256').update(groupKey).digest('hex').slice(0, 16)}`,
    kind: 'alert_group',
    label: clip(`alerts of Alertmanager group {${labels}}`, SIGNAL_LIMITS.groupLabel),
  };
}
