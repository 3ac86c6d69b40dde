import { describe, expect, it } from 'vitest';
import { getIncidentClass } from '../../policies/taxonomy.js';
import type { HandlerContext } from '../../src/engine/handler.js';
import type { Incident } from '../../src/engine/model.js';
import { taxonomyHandler } from '../../src/engine/taxonomy-handler.js';

const NOW = Date.parse('2026-11-22T10:00:00Z');

function incident(over: Partial<Incident>): Incident {
  return {
    id: 7,
    subject: 'prod.node.worker-1',
    subjectType: 'node',
    cluster: 'prod',
    incidentType: 'node_disk_pressure',
    domain: 'infrastructure',
    severity: 'warning',
    confidence: 'medium',
    status: 'triaged',
    environment: 'production',
    trigger: 'kubernetes_event',
    triggerParams: {},
    signalSources: ['kubernetes_event'],
    resourceScope: { cluster: 'prod', kind: 'node', name: 'worker-1', node: 'worker-1' },
    scopeNode: 'worker-1',
    evidenceSummary: '',
    rawEvidenceRefs: [],
    approvalState: 'none',
    parentId: null,
    groupKey: null,
    handler: 'taxonomy',
    handlerState: {},
    phase: 'plan',
    wakeAt: null,
    occurrences: 1,
    reopenCount: 0,
    lastSignalStatus: 'firing',
    firstSeenAt: NOW,
    lastSeenAt: NOW,
    resolvedAt: null,
    acknowledgedBy: null,
    acknowledgedAt: null,
    silencedUntil: null,
    createdAt: NOW,
    updatedAt: NOW,
    ...over,
  };
}

function ctx(i: Incident, stage = 0): HandlerContext {
  return { incident: i, incidentClass: getIncidentClass(i.incidentType), actions: [], stage, stageStartedAt: NOW, now: NOW };
}

const planned = (i: Incident, stage: number): string[] => taxonomyHandler.plan(ctx(i, stage)).actions.map((a) => `${a.action} ${a.target}`);

describe('taxonomy handler', () => {
  it('climbs the disk-pressure ladder: containment, then cordon, reboot, replace', () => {
    const i = incident({});
    expect(planned(i, 0)).toEqual(expect.arrayContaining(['collect_evidence node/worker-1', 'delete_completed_pods node/worker-1']));
    expect(planned(i, 1)).toEqual(['cordon_node node/worker-1']);
    expect(planned(i, 2)).toEqual(['reboot_node node/worker-1']);
    expect(planned(i, 3)).toEqual(['replace_node node/worker-1']);
    expect(taxonomyHandler.plan(ctx(i, 3)).last).toBe(true);
    expect(taxonomyHandler.plan(ctx(i, 2)).last).toBe(false);
  });

  it('never guesses a cronjob or workload: those targets come only from the detector', () => {
    expect(planned(incident({}), 0).some((p) => p.startsWith('suspend_cronjob'))).toBe(false);
    const withCandidates = incident({ triggerParams: { cronjobs: ['cronjob/trivy/trivy-db-warmup'] } });
    expect(planned(withCandidates, 0)).toContain('suspend_cronjob cronjob/trivy/trivy-db-warmup');
  });

  it('asks for the first human step at once when the class has no automatic remedy', () => {
    const pull = incident({
      incidentType: 'registry_pull_failure',
      subject: 'prod.deployment.shop.frontend',
      subjectType: 'deployment',
      resourceScope: { cluster: 'prod', kind: 'deployment', namespace: 'shop', name: 'frontend' },
      scopeNode: null,
    });
    const stage0 = planned(pull, 0);
    expect(stage0).toContain('helm_reconcile deployment/shop/frontend');
    expect(planned(pull, 1)).not.toContain('helm_reconcile deployment/shop/frontend');
  });

  it('never plans a patch: its value is a person’s to choose and an approver’s to review', () => {
    const pull = incident({ incidentType: 'registry_pull_failure', subjectType: 'deployment', resourceScope: { cluster: 'prod', kind: 'deployment', namespace: 'shop', name: 'frontend' }, scopeNode: null });
    const every = [0, 1, 2, 3, 4].flatMap((stage) => planned(pull, stage));
    expect(every.filter((p) => p.startsWith('patch_'))).toEqual([]);
  });

  it('raises confidence when the signal repeats or a second source corroborates it', () => {
    expect(taxonomyHandler.analyze(ctx(incident({ occurrences: 1 }))).confidence).toBe('medium');
    expect(taxonomyHandler.analyze(ctx(incident({ occurrences: 2 }))).confidence).toBe('high');
    expect(taxonomyHandler.analyze(ctx(incident({ signalSources: ['kubernetes_event', 'alertmanager'] }))).confidence).toBe('high');
  });

  it('verifies from the latest signal and from failed actions of the current stage', () => {
    expect(taxonomyHandler.verify(ctx(incident({ lastSignalStatus: 'resolved' }))).outcome).toBe('resolved');
    expect(taxonomyHandler.verify(ctx(incident({}))).outcome).toBe('pending');
  });
});
