/**
 * signalSelector: which incidents and signals a rule applies to, beyond its
 * incident type and environment scope. Every key present must match (AND);
 * inside a list any entry may match (OR). Globs are picomatch globs, case
 * insensitive, as in the allowlist.
 */
import picomatch from 'picomatch';
import { z } from 'zod';
import type { RuleFacts } from './expressions.js';

const glob = z.string().min(1).max(253);
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_./-]{0,127}$/;
const DETECTOR = /^[a-z][a-z0-9_]{0,63}$/;

export const signalSelectorSchema = z
  .object({
    /** Each label must be present and its value match the glob. */
    labels: z
      .record(z.string().regex(LABEL_NAME, 'a label name (letters, digits, _ . / -)'), glob)
      .refine((m) => Object.keys(m).length <= 32, 'at most 32 labels')
      .optional(),
    /** The namespace of the target (or subject) matches one of these globs; incidents without a namespace never match. */
    namespaces: z.array(glob).min(1).max(32).optional(),
    /** The subject (cluster.type.resource[.sub]) matches one of these globs. */
    subjects: z.array(glob).min(1).max(32).optional(),
    /** The detector kind that raised it is one of these. */
    triggers: z.array(z.string().regex(DETECTOR, 'a detector kind such as kubernetes_watch or alertmanager')).min(1).max(16).optional(),
    /** At least one detector kind that reported it is one of these. */
    sources: z.array(z.string().regex(DETECTOR, 'a detector kind such as kubernetes_watch or alertmanager')).min(1).max(16).optional(),
  })
  .strict();

export type SignalSelector = z.output<typeof signalSelectorSchema>;

export type SelectorMatch = (facts: Pick<RuleFacts, 'labels' | 'namespace' | 'subject' | 'trigger' | 'sources'>) => boolean;

/**
 * Compiles the globs once; the result answers per incident or signal.
 * @example compileSelector({ namespaces: ['batch'], triggers: ['kubernetes_watch'] })(facts) // true for a batch pod from the watch
 */
export function compileSelector(selector: SignalSelector | undefined): SelectorMatch {
  if (!selector) return () => true;
  const glob = (pattern: string) => {
    const m = picomatch(pattern, { nocase: true, dot: true });
    return (value: string | undefined) => value !== undefined && m(value);
  };
  const labels = Object.entries(selector.labels ?? {}).map(([k, g]) => [k, glob(g)] as const);
  const namespaces = selector.namespaces?.map(glob);
  const subjects = selector.subjects?.map(glob);
  const { triggers, sources } = selector;
  return (facts) =>
    labels.every(([k, m]) => Object.hasOwn(facts.labels, k) && m(facts.labels[k])) &&
    (namespaces === undefined || namespaces.some((m) => m(facts.namespace))) &&
    (subjects === undefined || subjects.some((m) => m(facts.subject))) &&
    (triggers === undefined || triggers.includes(facts.trigger)) &&
    (sources === undefined || sources.some((s) => facts.sources.includes(s)));
}
