/**
 * Alertmanager's webhook payload, version 4 (what current Alertmanager
 * releases send). Keys Alertmanager may add in later releases are accepted
 * and ignored; the ones the mapping needs are required.
 */
import { z } from 'zod';

export class WebhookError extends Error {
  readonly code = 'invalid_webhook';

  constructor(readonly problems: string[]) {
    super(`invalid Alertmanager webhook: ${problems.join('; ')}`);
    this.name = 'WebhookError';
  }
}

const labels = z.record(z.string(), z.string());

const timestamp = z.iso.datetime({ offset: true });

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.optional(),
  startsAt: timestamp.refine((t) => Date.parse(t) >= 0, 'must be a real time, not the zero time'),
  // A firing alert's end is often Go's zero time (`0001-01-01T00:00:00Z`), Alertmanager's "unset".
  endsAt: timestamp.optional(),
  generatorURL: z.string().optional(),
  // The alert's identity across resends; signal ids are built from it.
  fingerprint: z.string().min(1).max(64),
});

const webhookSchema = z.object({
  version: z.string().refine((v) => v === '4', { error: (issue) => `unsupported version "${String(issue.input)}"; robosre accepts Alertmanager webhook version "4"` }),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  receiver: z.string().optional(),
  groupLabels: labels.optional(),
  commonLabels: labels.optional(),
  commonAnnotations: labels.optional(),
  externalURL: z.string().optional(),
  alerts: z.array(alertSchema),
});

export type WebhookPayload = z.infer<typeof webhookSchema>;
export type WebhookAlert = z.infer<typeof alertSchema>;

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

/** Returns the payload or throws `WebhookError` naming every problem by path, e.g. `alerts.0.labels: expected object, received undefined`. */
export function parseWebhook(body: unknown): WebhookPayload {
  const result = webhookSchema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${describe(issue, valueAt(body, issue.path))}`);
  throw new WebhookError(problems);
}
