/**
 * Alertmanager's webhook payload, version 4 (what current Alertmanager
 * releases send). Keys Alertmanager may add in later releases are accepted
 * and ignored; the ones the mapping needs are required.
 *
 * The envelope and each alert are checked apart: a malformed envelope
 * refuses the notification, a malformed alert is refused alone so the rest
 * of its group still arrives (Alertmanager resends a refused notification
 * whole, forever: one bad alert must not hold its group back).
 */
import { z } from 'zod';

/**
 * Bounds of every field the mapping uses: what passes them always maps (the
 * signal id `am:<fingerprint>:<startsAt>:<status>` fits the signal's cap; see
 * `mapping.ts`). RFC 3339 with nanoseconds and an offset is 35 characters.
 */
export const WEBHOOK_LIMITS = {
  timestamp: 64,
  fingerprint: 64,
  labels: 128,
  labelName: 256,
  labelValue: 4096,
  annotationValue: 16_384,
  url: 4096,
  /** groupKey, receiver and the like: logged; the group key (hashed) and labels make a storm key (mapping.ts alertGroup). */
  text: 4096,
} as const;

export class WebhookError extends Error {
  readonly code = 'invalid_webhook';

  constructor(readonly problems: string[]) {
    super(`invalid Alertmanager webhook: ${problems.join('; ')}`);
    this.name = 'WebhookError';
  }
}

function dictionary(valueMax: number) {
  return z
    .record(z.string().max(WEBHOOK_LIMITS.labelName), z.string().max(valueMax))
    .refine((r) => Object.keys(r).length <= WEBHOOK_LIMITS.labels, `at most ${WEBHOOK_LIMITS.labels} entries`);
}
const labels = dictionary(WEBHOOK_LIMITS.labelValue);
const annotations = dictionary(WEBHOOK_LIMITS.annotationValue);

const timestamp = z
  .string()
  .max(WEBHOOK_LIMITS.timestamp)
  .pipe(z.iso.datetime({ offset: true }))
  .refine((t) => Number.isFinite(Date.parse(t)), 'not a real time');

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: annotations.optional(),
  startsAt: timestamp.refine((t) => Date.parse(t) >= 0, 'must be a real time, not the zero time'),
  // A firing alert's end is often Go's zero time (`0001-01-01T00:00:00Z`), Alertmanager's "unset".
  endsAt: timestamp.optional(),
  generatorURL: z.string().max(WEBHOOK_LIMITS.url).optional(),
  // The alert's identity across resends; signal ids are built from it.
  fingerprint: z.string().min(1).max(WEBHOOK_LIMITS.fingerprint),
});

const text = z.string().max(WEBHOOK_LIMITS.text);

const envelopeSchema = z.object({
  version: z.string().refine((v) => v === '4', { error: (issue) => `unsupported version "${String(issue.input)}"; robosre accepts Alertmanager webhook version "4"` }),
  groupKey: text.optional(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  receiver: text.optional(),
  groupLabels: labels.optional(),
  commonLabels: labels.optional(),
  commonAnnotations: annotations.optional(),
  externalURL: z.string().max(WEBHOOK_LIMITS.url).optional(),
  alerts: z.array(z.unknown()),
});

export type WebhookAlert = z.infer<typeof alertSchema>;
export type WebhookPayload = Omit<z.infer<typeof envelopeSchema>, 'alerts'> & { alerts: WebhookAlert[] };

/** An alert left out of a notification, and why; `index` is its place in the notification's `alerts`. */
export interface RefusedAlert {
  index: number;
  fingerprint?: string;
  reason: string;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function describe(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === 'invalid_type') {
    const expected = issue.expected === 'record' ? 'object' : issue.expected;
    return `expected ${expected}, received ${kindOf(input)}`;
  }
  return issue.message;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function problemsOf(error: z.ZodError, root: unknown, prefix: readonly PropertyKey[]): string[] {
  return error.issues.map((issue) => `${[...prefix, ...issue.path].join('.') || '(body)'}: ${describe(issue, valueAt(root, issue.path))}`);
}

/** An alert's fingerprint, when it has a usable one, to name it in a refusal. */
function fingerprintOf(alert: unknown): string | undefined {
  const fingerprint = (alert as { fingerprint?: unknown } | null)?.fingerprint;
  return typeof fingerprint === 'string' && fingerprint.length > 0 && fingerprint.length <= WEBHOOK_LIMITS.fingerprint ? fingerprint : undefined;
}

export type WebhookEnvelope = z.infer<typeof envelopeSchema>;

/** Checks the envelope, not yet its alerts; throws `WebhookError` naming every problem by path. */
export function parseEnvelope(body: unknown): WebhookEnvelope {
  const result = envelopeSchema.safeParse(body);
  if (!result.success) throw new WebhookError(problemsOf(result.error, body, []));
  return result.data;
}

/** One alert of a notification, or its refusal with every problem by path (`alerts.1.labels: expected object, received undefined`). */
export function parseAlert(raw: unknown, index: number): { alert: WebhookAlert } | { refused: RefusedAlert } {
  const result = alertSchema.safeParse(raw);
  if (result.success) return { alert: result.data };
  const fingerprint = fingerprintOf(raw);
  return { refused: { index, ...(fingerprint ? { fingerprint } : {}), reason: problemsOf(result.error, raw, ['alerts', index]).join('; ') } };
}
