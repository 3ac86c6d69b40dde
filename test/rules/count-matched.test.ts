/**
 * The match-share guard counts with countMatched, which skips the outcomes replayRule judges: on stored
 * incidents of several classes, severities and ages, with live rules that escalate (so the replayed
 * severity feeds the candidate's expression), both must count the same incidents for every candidate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOperatorRule, type OperatorRule } from '../../policies/index.js';
import { parseConfig } from '../../src/config/config.js';
import { countMatched, replayRule } from '../../src/rules/replay.js';
import { listActions } from '../../src/store/actions.repo.js';
import { incidentsSince } from '../../src/store/incidents.repo.js';
import { createHarness, signal, T0, type Harness } from '../engine/harness.js';

let h: Harness;
const MIN = 60_000;

beforeAll(async () => {
  h = createHarness();
  for (let i = 0; i < 12; i += 1) {
    const type = (['crash_loop_backoff', 'pod_pending_too_long', 'oom_killed'] as const)[i % 3]!;
    h.engine.ingest(signal({ id: `c${i}`, incidentType: type, subject: `prod.pod.${i % 2 ? 'shop' : 'batch'}.p${i}`, target: `deployment/${i % 2 ? 'shop' : 'batch'}/p${i}`, severity: i % 4 ? 'warning' : 'critical', observedAt: T0 + i * MIN, params: { containers: [{ name: 'app', restarts: i }] } }));
  }
  await h.settle();
});
afterAll(async () => {
  await h.close();
});

const rule = (id: string, fields: Record<string, unknown>): OperatorRule =>
  parseOperatorRule({ id, name: id, enabled: true, incidentType: 'crash_loop_backoff', environmentScope: ['demo', 'staging', 'production'], owner: 'sre', version: 1, ...fields });

const LIVE = [
  rule('escalate-restarts', { thresholdExpression: 'restarts > 4', severity: 'critical' }),
  rule('late-escalation', { severityEscalation: [{ to: 'critical', afterMinutes: 30 }] }),
  rule('pending-loud', { incidentType: 'pod_pending_too_long', severity: 'critical', signalSelector: { namespaces: ['shop'] } }),
];

const CANDIDATES = [
  rule('on-critical', { thresholdExpression: 'severity == "critical"' }),
  rule('shop-only', { signalSelector: { namespaces: ['shop'] } }),
  rule('late-escalation', { severityEscalation: [{ to: 'critical', afterMinutes: 5, when: 'restarts > 2' }] }),
  rule('fails', { thresholdExpression: 'labels["team"] == "x"' }),
  rule('pending', { incidentType: 'pod_pending_too_long', thresholdExpression: 'severity != "critical"' }),
  rule('nothing', { signalSelector: { namespaces: ['nowhere'] } }),
];

describe('countMatched', () => {
  it.each(CANDIDATES.map((c) => [c.id, c] as const))('counts what replayRule matches: %s', (_, candidate) => {
    const until = T0 + 120 * MIN;
    const incidents = incidentsSince(h.store.db, 0, 100);
    const history = incidents.map((incident) => ({ incident, actions: listActions(h.store.db, incident.id) }));
    const report = replayRule(history, LIVE, candidate, { routes: parseConfig({}).routing, channels: [], chats: {} }, { since: 0, until, cap: 100, capped: false });
    expect(countMatched(incidents, LIVE, candidate, until)).toBe(report.matched);
  });

  it('is not a constant: the candidates match different numbers of incidents', () => {
    const incidents = incidentsSince(h.store.db, 0, 100);
    const counts = new Set(CANDIDATES.map((c) => countMatched(incidents, LIVE, c, T0 + 120 * MIN)));
    expect(counts.size).toBeGreaterThanOrEqual(4);
  });
});
