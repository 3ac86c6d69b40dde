/**
 * The wall every stored rule passes: the policy's own parser (which refuses
 * commands, secrets, and disruptive or human-only actions made automatic),
 * plus what storing adds — a size cap, the reserved built-in prefix, the
 * `version` a change names, and routes only to the channels and chats the
 * config has. Every problem is reported with its path.
 */
import { z } from 'zod';
import { PolicyInputError } from '../../policies/errors.js';
import { parseOperatorRule } from '../../policies/rules.js';
import type { OperatorRule } from '../../policies/types.js';
import { RobosreError } from '../errors.js';
import { routeProblems, type RuleDestinations } from './destinations.js';
import { BUILTIN_PREFIX } from './layers.js';

/** A rule's JSON above this is refused: the biggest legitimate rule (64 allowlist entries) is well under it. */
export const MAX_RULE_BYTES = 32 * 1024;

/** Ids that are fixed routes under /api/rules. */
const RESERVED_IDS: readonly string[] = ['export', 'catalog', 'changes'];

/** Why a change was made: required, recorded with the revision. */
export const reasonSchema = z.string().trim().min(1, 'say why (a reason is recorded with every change)').max(500);

export function invalidRule(problems: string[]): RobosreError {
  return new RobosreError('invalid_rule', problems.join('; '), { source: 'rule', problems });
}

export interface ValidatedRule {
  rule: OperatorRule;
  /** The version the input says it edits, when it names one. */
  edits: number | undefined;
}

/**
 * Validates `input` as the rule stored at `version`, routing only to
 * `destinations`; `where` prefixes every problem's path (`body.rule`, `rules.3`).
 * @throws RobosreError `invalid_rule` with `problems`.
 */
export function validateRule(input: unknown, version: number, where: string, destinations: RuleDestinations): ValidatedRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalidRule([`${where}: expected a rule object`]);
  const bytes = Buffer.byteLength(JSON.stringify(input));
  if (bytes > MAX_RULE_BYTES) throw invalidRule([`${where}: the rule is ${bytes} bytes; at most ${MAX_RULE_BYTES}`]);
  const { version: edits, ...rest } = input as Record<string, unknown>;
  const problems: string[] = [];
  if (edits !== undefined && !(typeof edits === 'number' && Number.isSafeInteger(edits) && edits >= 1)) {
    problems.push(`${where}.version: expected the positive integer version this change edits`);
  }
  if (typeof rest.id === 'string' && rest.id.startsWith(BUILTIN_PREFIX)) {
    problems.push(`${where}.id: ids starting with "${BUILTIN_PREFIX}" name built-in rules; clone the built-in to get a custom id`);
  }
  // GET /api/rules/export, /catalog and /changes are fixed routes, so a rule of any of these ids could not be read back.
  if (typeof rest.id === 'string' && RESERVED_IDS.includes(rest.id)) problems.push(`${where}.id: "${rest.id}" is reserved (GET /api/rules/${rest.id})`);
  try {
    const rule = parseOperatorRule({ ...rest, version });
    problems.push(...routeProblems(rule, destinations, where));
    if (problems.length > 0) throw invalidRule(problems);
    return { rule, edits: edits as number | undefined };
  } catch (error) {
    if (!(error instanceof PolicyInputError)) throw error;
    throw invalidRule([...problems, ...error.issues.map((i) => `${where}${i.path === '(root)' ? '' : `.${i.path}`}: ${i.message}`)]);
  }
}
