/**
 * Validation of incoming signals. Whatever a detector or file sends passes
 * here first: a bad signal is refused whole, with the path of the problem.
 */
import { z } from 'zod';
import { CONFIDENCES, SEVERITIES } from '../../policies/types.js';
import { INCIDENT_TYPES } from '../../policies/taxonomy.js';
import { RobosreError } from '../errors.js';
import type { Signal } from './model.js';

const SUBJECT = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?\.[a-z0-9-]+\.[^.\s]+(\.[^.\s]+)*$/i;

const signalSchema = z
  .object({
    id: z.string().min(1).max(256).optional(),
    trigger: z.string().min(1).max(64),
    incidentType: z.string().refine((t) => INCIDENT_TYPES.includes(t), {
      message: `unknown incident type; valid types: ${INCIDENT_TYPES.join(', ')}`,
    }),
    cluster: z.string().min(1).max(128),
    subject: z.string().regex(SUBJECT, 'subject must look like cluster.type.resource[.subresource]'),
    status: z.enum(['firing', 'resolved']),
    observedAt: z.number().int().nonnegative(),
    severity: z.enum(SEVERITIES).optional(),
    confidence: z.enum(CONFIDENCES).optional(),
    target: z.string().min(1).max(512).optional(),
    node: z.string().min(1).max(253).optional(),
    summary: z.string().max(2000).optional(),
    params: z.record(z.string(), z.unknown()).optional(),
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
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(signal)'}: ${i.message}`);
    throw new RobosreError('invalid_signal', `invalid signal: ${problems.join('; ')}`, { problems });
  }
  return result.data;
}

/** The subject type is the second segment of `cluster.type.resource`. */
export function subjectType(subject: string): string {
  return subject.split('.')[1] ?? 'unknown';
}
