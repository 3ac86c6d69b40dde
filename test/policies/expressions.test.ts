/**
 * CEL rule expressions: the reference's test vectors (shared/reference/cel-rules.md) against our
 * one Environment, and the save-time guards that stand in for the cost budget the library lacks.
 */
import { describe, expect, it } from 'vitest';
import { compileExpression, evaluateExpression, PolicyInputError, toActivation, VIEW, type RuleFacts } from '../../policies/index.js';

const NOW = Date.parse('2025-06-01T10:12:00Z');
const facts: RuleFacts = {
  incidentType: 'crash_loop_backoff',
  environment: 'production',
  cluster: 'prod',
  subject: 'prod.pod.shop.api-1',
  subjectType: 'pod',
  namespace: 'prod',
  target: 'deployment/prod/api',
  trigger: 'kubernetes_watch',
  sources: ['kubernetes_watch'],
  severity: 'warning',
  confidence: 'high',
  status: 'firing',
  labels: { team: 'payments' },
  occurrences: 3,
  firstSeenAt: Date.parse('2025-06-01T10:00:00Z'),
  restarts: 7,
  pendingSeconds: 700,
  errorRate: 0.07,
  containers: ['app', 'sidecar'],
};
const activation = toActivation(facts, NOW);

function refusal(source: string): { offset: number | undefined; message: string } {
  try {
    compileExpression(source, 'thresholdExpression');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyInputError);
    const issue = (error as PolicyInputError).issues[0]!;
    expect(issue.path).toBe('thresholdExpression');
    return { offset: issue.offset, message: issue.message };
  }
  throw new Error(`expected ${source} to be refused`);
}
const run = (source: string) => evaluateExpression(compileExpression(source, 'thresholdExpression'), activation);

describe('the reference test vectors', () => {
  it.each([
    ['restarts > 5 && ns != "batch"'],
    ['restarts > 5.5'],
    ['has(labels.owner) ? labels.owner == "sre" : labels.team == "payments"'],
    ['labels.owner == "sre" || pendingSeconds > 600'],
    ['now - firstSeen > duration("10m")'],
    ['labels.?owner.orValue("none") == "none"'],
    ['errorRate > 0.05 && "sidecar" in containers'],
  ])('%s is true', (source) => {
    expect(run(source)).toEqual({ ok: true, value: true });
  });

  it('2. a type mismatch is refused at save with its range start', () => {
    expect(refusal('restarts > "5"')).toEqual({ offset: 0, message: 'no such overload: int > string (at offset 0)' });
  });

  it('3. an unknown variable is refused at its offset', () => {
    expect(refusal('restarts > 5 && nmspace == "x"')).toMatchObject({ offset: 16, message: expect.stringMatching(/Unknown variable: nmspace/) });
  });

  it('6. a missing key is a runtime error, not a false', () => {
    expect(run('labels.owner == "sre"')).toEqual({ ok: false, error: 'no_such_key: No such key: owner' });
  });

  it('9. division by zero is a runtime error', () => {
    expect(run('pendingSeconds / (restarts - 7) > 1')).toMatchObject({ ok: false, error: expect.stringMatching(/^division_by_zero/) });
  });

  it('10. a non-bool expression is refused; a syntax error carries its offset', () => {
    expect(refusal('restarts + 1').message).toMatch(/must be a bool condition, but this expression is int/);
    expect(refusal('restarts > 5 &&')).toMatchObject({ offset: 15 });
  });

  it('ints reach CEL as BigInt, so int comparisons work from plain numbers', () => {
    expect(activation.restarts).toBe(7n);
    expect(run('restarts == 7 && openSeconds == 720')).toEqual({ ok: true, value: true });
  });

  it('`namespace` is a reserved word: the view calls it ns', () => {
    expect(VIEW.map((v) => v.name)).toContain('ns');
    expect(VIEW.map((v) => v.name)).not.toContain('namespace');
    expect(refusal('namespace == "batch"').offset).toBe(0);
  });
});

describe('cost guards', () => {
  it('refuses nested comprehensions, which blocked the library for minutes', () => {
    expect(refusal('containers.all(a, containers.exists(b, a == b))')).toMatchObject({ offset: 18, message: expect.stringMatching(/nested comprehensions/) });
  });

  it.each([
    ['ns.matches("^(a+)+$")', /quantified group/],
    ['ns.matches("(?=a)a")', /lookaround/],
    ['ns.matches("(a)\\\\1")', /backreferences/],
    ['ns.matches(subject)', /string literal pattern/],
    ['ns.matches("[")', /not a valid regex/],
  ])('refuses the regex in %s', (source, message) => {
    expect(refusal(source).message).toMatch(message);
  });

  it('accepts a plain literal regex', () => {
    expect(run('subject.matches("^prod\\\\.pod\\\\.")')).toEqual({ ok: true, value: true });
  });

  it('refuses int() conversions (out-of-range results in the library)', () => {
    expect(refusal('int(errorRate) > 1').message).toMatch(/int\(\) conversions are not allowed/);
  });

  it('refuses expressions over the node, depth and length limits', () => {
    expect(refusal(`${'1<2||'.repeat(90)}true`).message).toMatch(/Exceeded maxAstNodes \(200\)/);
    expect(refusal(`[${Array.from({ length: 60 }, (_, i) => i).join(',')}].size() > 0`).message).toMatch(/maxListElements \(50\)/);
    expect(refusal(`${'('.repeat(40)}true${')'.repeat(40)}`).message).toMatch(/depth/i);
    expect(refusal(`ns == "${'x'.repeat(500)}"`).message).toMatch(/longer than 500/);
  });

  it('caps strings and lists in the view', () => {
    const big = toActivation({ ...facts, containers: Array.from({ length: 1000 }, (_, i) => `c${i}`), subject: 'x'.repeat(5000) }, NOW);
    expect(big.containers).toHaveLength(64);
    expect(big.subject).toHaveLength(1024);
  });
});
