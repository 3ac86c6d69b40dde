/**
 * The YAML form of custom rules for GitOps: `robosre rules export` writes it,
 * `apply -f` / `POST /api/rules/import` read it back. One document, one key:
 *
 *   rules:
 *     - id: quiet-staging-disk
 *       version: 3        # optional: the version this file edits (stale → 409)
 *       ...
 */
import { parseDocument, stringify } from 'yaml';
import type { OperatorRule } from '../../policies/types.js';
import { invalidRule } from './validate.js';

/** More rules than this in one file is refused before any is looked at. */
export const MAX_IMPORT_RULES = 1000;

export function rulesToYaml(rules: readonly OperatorRule[]): string {
  return stringify({ rules }, { lineWidth: 0 });
}

/**
 * The raw rule objects of a rules file; each is validated by the service.
 * @throws RobosreError `invalid_rule` naming the line, or the key that is wrong.
 */
export function rulesFromYaml(text: string): unknown[] {
  // uniqueKeys: a rule with `severity` twice is an error, not "the last one wins".
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw invalidRule(doc.errors.map((e) => `yaml${e.linePos ? ` line ${e.linePos[0].line} column ${e.linePos[0].col}` : ''}: ${e.message.split('\n')[0] ?? e.message}`));
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw invalidRule([`yaml: ${(cause as Error).message}`]);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw invalidRule(['(root): expected a mapping with a "rules" list']);
  const unknown = Object.keys(data).filter((k) => k !== 'rules');
  if (unknown.length > 0) throw invalidRule(unknown.map((k) => `${k}: unknown key; a rules file holds only "rules"`));
  const rules = (data as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) throw invalidRule(['rules: expected a list of rules']);
  if (rules.length > MAX_IMPORT_RULES) throw invalidRule([`rules: ${rules.length} rules; at most ${MAX_IMPORT_RULES} in one file`]);
  return rules;
}
