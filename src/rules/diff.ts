/**
 * The diff a revision stores against the one before: one entry per changed
 * leaf, with dotted paths (`allowedActionProfile.auto`), so history reads as
 * "what changed" without a client diffing two whole rules. Arrays are leaves:
 * `environmentScope: [demo] → [demo, staging]` says more than index paths.
 */
import type { RuleDiffEntry } from '../store/schema.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * @example diffRules({ severity: 'warning' }, { severity: 'critical' }) // [{ path: 'severity', before: 'warning', after: 'critical' }]
 */
export function diffRules(before: unknown, after: unknown, path = ''): RuleDiffEntry[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffRules(before[key], after[key], path ? `${path}.${key}` : key));
  }
  if (same(before, after)) return [];
  return [{ path: path || '(root)', ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) }];
}
