/**
 * Operator rule expressions (thresholdExpression, severityEscalation.when) in
 * CEL, over one typed view of an incident or signal. One frozen Environment
 * declares the view; an expression is parsed, type-checked (it must be bool)
 * and walked for cost once, at save time, and then only evaluated.
 * @marcbachmann/cel-js has no cost budget, so the bound is structural: small
 * ASTs, no nested comprehensions, literal regexes without backtracking traps,
 * and capped lists and strings in the view (docs/rules.md, "Limits").
 */
import { Environment, type ASTNode } from '@marcbachmann/cel-js';
import { PolicyInputError, type PolicyIssue } from './errors.js';
import type { Confidence, Environment as PolicyEnvironment, Severity } from './types.js';

/** What a rule can see of an incident or signal, in plain JS; `toActivation` turns it into CEL values. */
export interface RuleFacts {
  incidentType: string;
  environment: PolicyEnvironment;
  cluster: string;
  subject: string;
  subjectType: string;
  namespace?: string;
  target?: string;
  node?: string;
  /** The detector kind that raised it: kubernetes_watch, alertmanager, health_check, metric_threshold, chat_delivery … */
  trigger: string;
  /** Every detector kind that has reported it. */
  sources: readonly string[];
  severity: Severity;
  confidence: Confidence;
  status: 'firing' | 'resolved';
  labels: Readonly<Record<string, string>>;
  occurrences: number;
  /** Epoch milliseconds. */
  firstSeenAt: number;
  restarts?: number;
  pendingSeconds?: number;
  errorRate?: number;
  value?: number;
  containers?: readonly string[];
}

/** The view's declaration: every variable an expression may use, its CEL type and meaning (docs/rules.md lists the same). */
export const VIEW: readonly { name: string; type: string; description: string }[] = [
  { name: 'incidentType', type: 'string', description: 'the incident class, e.g. crash_loop_backoff' },
  { name: 'environment', type: 'string', description: 'demo, staging or production' },
  { name: 'cluster', type: 'string', description: 'the cluster name' },
  { name: 'subject', type: 'string', description: 'cluster.type.resource[.subresource]' },
  { name: 'subjectType', type: 'string', description: 'the second part of the subject: node, pod, deployment, service …' },
  { name: 'ns', type: 'string', description: 'the namespace of the target (or of the subject), "" when none; `namespace` is a CEL reserved word' },
  { name: 'target', type: 'string', description: 'kind/namespace/name or kind/name the robot would act on, "" when none' },
  { name: 'node', type: 'string', description: 'the node the resource runs on, "" when none' },
  { name: 'trigger', type: 'string', description: 'the detector kind that raised it' },
  { name: 'sources', type: 'list<string>', description: 'every detector kind that reported it' },
  { name: 'severity', type: 'string', description: 'info, warning or critical, as it stands' },
  { name: 'confidence', type: 'string', description: 'low, medium or high' },
  { name: 'status', type: 'string', description: 'firing or resolved (the last signal)' },
  { name: 'labels', type: 'map<string, string>', description: 'Alertmanager alert labels or Prometheus series labels; {} when none' },
  { name: 'occurrences', type: 'int', description: 'signals correlated into the incident' },
  { name: 'restarts', type: 'int', description: 'container restarts the detector counted, 0 when not reported' },
  { name: 'pendingSeconds', type: 'int', description: 'how long a pod has been Pending, 0 when not reported' },
  { name: 'errorRate', type: 'double', description: 'the error-rate series value of an errors golden-signal rule, 0.0 otherwise' },
  { name: 'value', type: 'double', description: 'the series value of any golden-signal rule, 0.0 otherwise' },
  { name: 'containers', type: 'list<string>', description: 'names of the containers the detector reported' },
  { name: 'openSeconds', type: 'int', description: 'seconds since first seen' },
  { name: 'firstSeen', type: 'google.protobuf.Timestamp', description: 'when it was first seen' },
  { name: 'now', type: 'google.protobuf.Timestamp', description: 'the evaluation time' },
];

/** Caps that bound evaluation cost; the view is cut to them before an expression sees it. */
export const EXPRESSION_LIMITS = {
  sourceLength: 500,
  astNodes: 200,
  depth: 32,
  literalItems: 50,
  callArguments: 8,
  /** Nodes weighted by the list cap inside a comprehension, as Kubernetes estimates cost. */
  estimatedCost: 10_000,
  listItems: 64,
  stringLength: 1024,
  labelEntries: 64,
  regexLength: 100,
} as const;

const env = new Environment({
  enableOptionalTypes: true,
  homogeneousAggregateLiterals: true,
  limits: {
    maxAstNodes: EXPRESSION_LIMITS.astNodes,
    maxDepth: EXPRESSION_LIMITS.depth,
    maxListElements: EXPRESSION_LIMITS.literalItems,
    maxMapEntries: EXPRESSION_LIMITS.literalItems,
    maxCallArguments: EXPRESSION_LIMITS.callArguments,
  },
});
for (const v of VIEW) env.registerVariable(v.name, v.type, { description: v.description });
// Nothing is registered after this point: every rule sees the same declarations.
Object.freeze(env);

export interface CompiledExpression {
  source: string;
  run: (activation: Record<string, unknown>) => unknown;
}

export type ExpressionResult = { ok: true; value: boolean } | { ok: false; error: string };

const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const FORBIDDEN_CALLS: Record<string, string> = {
  int: 'int() conversions are not allowed (the library returns out-of-range values for some doubles); compare doubles directly, e.g. errorRate > 1',
  uint: 'uint() conversions are not allowed; compare ints or doubles directly',
};

function issue(path: string, offset: number, message: string): PolicyIssue {
  return { path, offset, message: `${message} (at offset ${offset})` };
}

function children(node: ASTNode): ASTNode[] {
  const isNode = (x: unknown): x is ASTNode => typeof x === 'object' && x !== null && 'op' in x && 'args' in x;
  const out: ASTNode[] = [];
  const visit = (x: unknown): void => {
    if (isNode(x)) out.push(x);
    else if (Array.isArray(x)) x.forEach(visit);
  };
  if (node.op !== 'value' && node.op !== 'id') visit(node.args);
  return out;
}

/** Patterns JS RegExp runs by backtracking: lookaround, backreferences and quantified groups that hold a quantifier. */
function regexProblem(pattern: string): string | undefined {
  if (pattern.length > EXPRESSION_LIMITS.regexLength) return `regex longer than ${EXPRESSION_LIMITS.regexLength} characters`;
  if (/\(\?<?[=!]/.test(pattern)) return 'lookaround is not allowed in a regex';
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not allowed in a regex';
  if (/\((?:[^()\\]|\\.)*[*+}](?:[^()\\]|\\.)*\)\s*[*+?{]/.test(pattern)) return 'a quantified group holding a quantifier (e.g. (a+)+) can backtrack catastrophically';
  try {
    new RegExp(pattern);
  } catch (error) {
    return `not a valid regex: ${(error as Error).message}`;
  }
  return undefined;
}

/** Walks the AST once: comprehension nesting, regex literals, forbidden calls, and a cost estimate. */
function guard(root: ASTNode, path: string): PolicyIssue | undefined {
  let cost = 0;
  const walk = (node: ASTNode, inComprehension: boolean): PolicyIssue | undefined => {
    cost += inComprehension ? EXPRESSION_LIMITS.listItems : 1;
    let nested = inComprehension;
    if (node.op === 'rcall' || node.op === 'call') {
      const name = node.args[0];
      if (node.op === 'call' && FORBIDDEN_CALLS[name]) return issue(path, node.start, FORBIDDEN_CALLS[name]);
      if (node.op === 'rcall' && COMPREHENSIONS.has(name)) {
        if (inComprehension) return issue(path, node.start, `nested comprehensions are not allowed (${name} inside another one)`);
        nested = true;
      }
      if (name === 'matches') {
        const args = node.op === 'rcall' ? node.args[2] : node.args[1].slice(1);
        const pattern = args[0];
        if (!pattern || pattern.op !== 'value' || typeof pattern.args !== 'string') return issue(path, node.start, 'matches() takes a string literal pattern only');
        const problem = regexProblem(pattern.args);
        if (problem) return issue(path, pattern.start, problem);
      }
    }
    for (const child of children(node)) {
      const found = walk(child, nested);
      if (found) return found;
    }
    return undefined;
  };
  const found = walk(root, false);
  if (found) return found;
  if (cost > EXPRESSION_LIMITS.estimatedCost) return issue(path, 0, `estimated cost ${cost} is over the limit of ${EXPRESSION_LIMITS.estimatedCost}; simplify the comprehension`);
  return undefined;
}

/**
 * Parses, type-checks against the view (the result must be bool) and guards the cost.
 * @example compileExpression('restarts > 5 && ns != "batch"', 'thresholdExpression').source
 * @throws PolicyInputError `invalid_rule` with one issue: path, offset and message.
 */
export function compileExpression(source: string, path: string): CompiledExpression {
  const refuse = (found: PolicyIssue): never => {
    throw new PolicyInputError('invalid_rule', `${path}: ${found.message}`, { issues: [found] });
  };
  if (typeof source !== 'string' || source.trim() === '') refuse(issue(path, 0, 'an expression is required'));
  if (source.length > EXPRESSION_LIMITS.sourceLength) refuse(issue(path, EXPRESSION_LIMITS.sourceLength, `longer than ${EXPRESSION_LIMITS.sourceLength} characters`));
  const checked = env.check(source);
  if (!checked.valid) {
    const error = checked.error;
    refuse(issue(path, error?.range?.start ?? 0, error?.summary ?? error?.message ?? 'invalid expression'));
  }
  if (checked.type !== 'bool') refuse(issue(path, 0, `must be a bool condition, but this expression is ${checked.type ?? 'unknown'}`));
  const parsed = env.parse(source);
  const problem = guard(parsed.ast, path);
  if (problem) refuse(problem);
  return { source, run: (activation) => parsed(activation) as unknown };
}

/** Issues instead of a throw, for validators that collect every problem. */
export function expressionIssue(source: string, path: string): PolicyIssue | undefined {
  try {
    compileExpression(source, path);
    return undefined;
  } catch (error) {
    if (error instanceof PolicyInputError) return error.issues[0];
    throw error;
  }
}

const cut = (s: string | undefined): string => (s ?? '').slice(0, EXPRESSION_LIMITS.stringLength);
const list = (xs: readonly string[] | undefined): string[] => (xs ?? []).slice(0, EXPRESSION_LIMITS.listItems).map(cut);
const int = (n: number | undefined): bigint => (n !== undefined && Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n);
const double = (n: number | undefined): number => (n !== undefined && Number.isFinite(n) ? n : 0);

/** The one converter to CEL values: ints as BigInt, strings and lists capped, absent values as their zero. */
export function toActivation(facts: RuleFacts, now: number): Record<string, unknown> {
  const labels = new Map<string, string>();
  for (const [k, v] of Object.entries(facts.labels).slice(0, EXPRESSION_LIMITS.labelEntries)) labels.set(cut(k), cut(v));
  return {
    incidentType: cut(facts.incidentType),
    environment: facts.environment,
    cluster: cut(facts.cluster),
    subject: cut(facts.subject),
    subjectType: cut(facts.subjectType),
    ns: cut(facts.namespace),
    target: cut(facts.target),
    node: cut(facts.node),
    trigger: cut(facts.trigger),
    sources: list(facts.sources),
    severity: facts.severity,
    confidence: facts.confidence,
    status: facts.status,
    labels,
    occurrences: int(facts.occurrences),
    restarts: int(facts.restarts),
    pendingSeconds: int(facts.pendingSeconds),
    errorRate: double(facts.errorRate),
    value: double(facts.value),
    containers: list(facts.containers),
    openSeconds: int(Math.max(0, (now - facts.firstSeenAt) / 1000)),
    firstSeen: new Date(facts.firstSeenAt),
    now: new Date(now),
  };
}

/** Never throws: an evaluation error (missing key, division by zero, overflow) is a value the caller fails closed or open on. */
export function evaluateExpression(expression: CompiledExpression, activation: Record<string, unknown>): ExpressionResult {
  try {
    const value = expression.run(activation);
    if (typeof value !== 'boolean') return { ok: false, error: `evaluated to ${typeof value}, not bool` };
    return { ok: true, value };
  } catch (error) {
    const e = error as { code?: string; summary?: string; message?: string };
    return { ok: false, error: `${e.code ?? 'error'}: ${e.summary ?? e.message ?? String(error)}` };
  }
}
