/**
 * Validation of incoming signals. Whatever a detector or file sends passes
 * here first: a bad signal is refused whole, with the path of the problem.
 */
import { z } from 'zod';
import { CONFIDENCES, SEVERITIES } from '../../policies/types.js';
import { INCIDENT_TYPES } from '../../policies/taxonomy.js';
import { problemLines, RobosreError } from '../errors.js';
import { STORM_KINDS, type Signal } from './model.js';

const SUBJECT = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?\.[a-z0-9-]+\.[^.\s]+(\.[^.\s]+)*$/i;

/** Length caps of a signal's text fields; sources that build ids or names from their input bound that input by these. */
export const SIGNAL_LIMITS = { id: 256, trigger: 64, cluster: 128, target: 512, node: 253, summary: 2000, groupKey: 600, groupLabel: 300 } as const;

const signalSchema = z
  .object({
    id: z.string().min(1).max(SIGNAL_LIMITS.id).optional(),
    trigger: z.string().min(1).max(SIGNAL_LIMITS.trigger),
    incidentType: z.string().refine((t) => INCIDENT_TYPES.includes(t), {
      message: `unknown incident type; valid types: ${INCIDENT_TYPES.join(', ')}`,
    }),
    cluster: z.string().min(1).max(SIGNAL_LIMITS.cluster),
    subject: z.string().regex(SUBJECT, 'subject must look like cluster.type.resource[.subresource]'),
    status: z.enum(['firing', 'resolved']),
    observedAt: z.number().int().nonnegative(),
    severity: z.enum(SEVERITIES).optional(),
    confidence: z.enum(CONFIDENCES).optional(),
    target: z.string().min(1).max(SIGNAL_LIMITS.target).optional(),
    node: z.string().min(1).max(SIGNAL_LIMITS.node).optional(),
    summary: z.string().max(SIGNAL_LIMITS.summary).optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    group: z
      .object({
        key: z.string().min(1).max(SIGNAL_LIMITS.groupKey),
        kind: z.enum(STORM_KINDS),
        label: z.string().min(1).max(SIGNAL_LIMITS.groupLabel),
        population: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((s) => s.subject.startsWith(`${s.cluster}.`), {
    message: 'subject must start with the signal cluster',
    path: ['subject'],
  });

/** Returns the signal or throws `invalid_signal` naming every problem by path. */
export function parseSignal(input: unknown): Signal {
  const result = signalSchema.safeParse(input);
  if (!result.success) {
    const problems = problemLines(result.error.issues, '(signal)');
    throw new RobosreError('invalid_signal', `invalid signal: ${problems.join('; ')}`, { problems });
  }
  return result.data;
}

/** The subject type is the second segment of `cluster.type.resource`. */
export function subjectType(subject: string): string {
  return subject.split('.')[1] ?? 'unknown';
}
