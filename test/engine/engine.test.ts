import { afterEach, describe, expect, it } from 'vitest';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { outboxFor } from '../../src/store/outbox.repo.js';
import { RobosreError } from '../../src/errors.js';
import { parseSignal } from '../../src/engine/signal.js';
import { createHarness, diskPressure, signal, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

const MIN = 60_000;

describe('engine: detection to containment', () => {
  it('analyzes, decides under the policy and runs the automatic containment once', async () => {
    h = createHarness();
    const { incidentId } = h.engine.ingest(diskPressure());
    await h.settle();
    const incident = incidentsRepo.getIncident(h.store.db, incidentId!)!;
    expect(incident.status).toBe('contained');
    expect(incident.phase).toBe('verify');
    const done = h.journal().map((e) => `${e.action} ${e.target}`).sort();
    expect(done).toEqual([
      'collect_evidence node/worker-1',
      'delete_completed_pods node/worker-1',
      'scale_to_zero deployment/headlamp/headlamp',
      'suspend_cronjob cronjob/trivy/trivy-db-warmup',
    ]);
    const kinds = incidentsRepo.timeline(h.store.db, incidentId!).map((e) => e.kind);
    expect(kinds.slice(0, 3)).toEqual(['signal', 'transition', 'analysis']);
    expect(kinds).toContain('action_started');
    expect(kinds).toContain('action_finished');
    // The opening message and the operator notification wait in the outbox.
    const messages = outboxFor(h.store.db, incidentId!).filter((o) => o.kind === 'message').map((o) => o.payload.type);
    expect(messages).toEqual(expect.arrayContaining(['incident_opened', 'incident_notification']));
  });

  it('asks instead of acting when confidence is not high', async () => {
    h = createHarness();
    const { incidentId } = h.engine.ingest(diskPressure({ confidence: 'low' }));
    await h.settle();
    const actions = actionsRepo.listActions(h.store.db, incidentId!);
    const cleanup = actions.find((a) => a.actionId === 'delete_completed_pods')!;
    expect(cleanup.decision).toBe('needs_approval');
    expect(cleanup.reasons.join(' ')).toMatch(/confidence/);
    expect(h.journal().map((e) => e.action)).toEqual(['collect_evidence']);
    expect(incidentsRepo.getIncident(h.store.db, incidentId!)!.phase).toBe('await_approval');
  });

  it('waits the analysis delay, so a corroborating signal arriving just after the first one is judged with it', async () => {
    h = createHarness({ analysisDelayMs: 10_000 });
    // The condition alone (medium), then the taint a moment later (high), as kubelet and node controller report them.
    const { incidentId } = h.engine.ingest(diskPressure({ id: 'condition', confidence: 'medium' }));
    await h.settle();
    expect(incidentsRepo.getIncident(h.store.db, incidentId!)!.status).toBe('observed');
    expect(actionsRepo.listActions(h.store.db, incidentId!)).toEqual([]);
    await h.advance(2_000);
    h.engine.ingest(diskPressure({ id: 'taint', confidence: 'high' }));
    await h.advance(8_000);
    const cleanup = actionsRepo.listActions(h.store.db, incidentId!).find((a) => a.actionId === 'delete_completed_pods')!;
    expect(cleanup).toMatchObject({ decision: 'auto', status: 'succeeded' });
  });

  it('asks instead of acting once the namespace budget for the hour is spent', async () => {
    h = createHarness({ budgets: { maxConcurrentActions: 10, maxActionsPerNamespacePerHour: 2 } });
    const buildup = (n: number) => h.engine.ingest(signal({ id: `b${n}`, incidentType: 'background_job_buildup', subject: `prod.namespace.ci-${n}`, target: 'namespace/ci', confidence: 'high' })).incidentId!;
    const ids = [buildup(1), buildup(2), buildup(3)];
    await h.settle();
    const cleanups = ids.map((id) => actionsRepo.listActions(h.store.db, id).find((a) => a.actionId === 'delete_completed_pods')!);
    expect(cleanups.map((a) => a.decision)).toEqual(['auto', 'auto', 'needs_approval']);
    expect(cleanups[2]!.reasons.at(-1)).toBe('remediation budget: 2 automatic actions in namespace ci in the last hour (at most 2)');
    // An hour later the budget is back.
    await h.advance(61 * MIN);
    h.engine.ingest(signal({ id: 'b4', incidentType: 'background_job_buildup', subject: 'prod.namespace.ci-4', target: 'namespace/ci', confidence: 'high' }));
    await h.settle();
    const fourth = incidentsRepo.listIncidents(h.store.db).find((i) => i.subject === 'prod.namespace.ci-4')!;
    expect(actionsRepo.listActions(h.store.db, fourth.id).find((a) => a.actionId === 'delete_completed_pods')!.decision).toBe('auto');
  });

  it('runs nothing automatically in production but evidence and the idempotent cleanup', async () => {
    h = createHarness({ environment: 'production' });
    h.engine.ingest(diskPressure());
    await h.settle();
    expect(h.journal().map((e) => e.action).sort()).toEqual(['collect_evidence', 'delete_completed_pods', 'suspend_cronjob']);
  });
});

describe('engine: correlation', () => {
  it('turns a pod restarting every second for ten minutes into one incident', async () => {
    h = createHarness();
    const subject = 'prod.pod.shop.api-1';
    let id: number | null = null;
    for (let i = 0; i < 600; i += 1) {
      const r = h.engine.ingest(signal({ incidentType: 'crash_loop_backoff', subject, target: 'deployment/shop/api', observedAt: Date.now() + i * 1000 }));
      id ??= r.incidentId;
      expect(r.incidentId).toBe(id);
    }
    await h.settle();
    expect(incidentsRepo.listIncidents(h.store.db)).toHaveLength(1);
    expect(incidentsRepo.getIncident(h.store.db, id!)!.occurrences).toBe(600);
  });

  it('ignores a signal id it has already ingested', () => {
    h = createHarness();
    const s = diskPressure({ id: 'evt-1' });
    expect(h.engine.ingest(s).outcome).toBe('created');
    expect(h.engine.ingest(s).outcome).toBe('duplicate');
    expect(incidentsRepo.listIncidents(h.store.db)[0]!.occurrences).toBe(1);
  });

  it('resolves on a cleared signal, reopens within the window and opens anew after it', async () => {
    h = createHarness();
    const first = h.engine.ingest(diskPressure()).incidentId!;
    await h.settle();
    h.engine.ingest(diskPressure({ status: 'resolved' }));
    await h.settle();
    expect(incidentsRepo.getIncident(h.store.db, first)!.status).toBe('resolved');

    await h.advance(5 * MIN);
    const again = h.engine.ingest(diskPressure());
    expect(again).toMatchObject({ outcome: 'reopened', incidentId: first });
    await h.settle();
    const reopened = incidentsRepo.getIncident(h.store.db, first)!;
    expect(reopened.reopenCount).toBe(1);
    expect(reopened.status).not.toBe('resolved');
    // The same containment within 15 minutes is blocked by the same-action cooldown, not repeated.
    const second = actionsRepo.listActions(h.store.db, first).filter((a) => a.idempotencyKey.includes('/r1/') && a.actionId === 'delete_completed_pods');
    expect(second[0]!.decision).toBe('denied');
    expect(second[0]!.reasons.join(' ')).toMatch(/cooldown/i);
    expect(h.journal().filter((e) => e.action === 'delete_completed_pods')).toHaveLength(1);

    h.engine.ingest(diskPressure({ status: 'resolved' }));
    await h.settle();
    await h.advance(16 * MIN);
    const later = h.engine.ingest(diskPressure());
    expect(later.outcome).toBe('created');
    expect(later.incidentId).not.toBe(first);
  });

  it('makes the node incident the parent of pod incidents on that node, whichever comes first', async () => {
    h = createHarness();
    const early = h.engine.ingest(signal({ incidentType: 'crash_loop_backoff', subject: 'prod.pod.shop.a', node: 'worker-1', target: 'deployment/shop/a' })).incidentId!;
    const node = h.engine.ingest(diskPressure()).incidentId!;
    const late = h.engine.ingest(signal({ incidentType: 'oom_killed', subject: 'prod.pod.shop.b', node: 'worker-1', target: 'deployment/shop/b' })).incidentId!;
    const elsewhere = h.engine.ingest(signal({ incidentType: 'oom_killed', subject: 'prod.pod.shop.c', node: 'worker-2' })).incidentId!;
    await h.settle();
    expect(incidentsRepo.getIncident(h.store.db, early)!.parentId).toBe(node);
    expect(incidentsRepo.getIncident(h.store.db, late)!.parentId).toBe(node);
    expect(incidentsRepo.getIncident(h.store.db, elsewhere)!.parentId).toBeNull();
  });
});

describe('engine: approvals, escalation and execution-time checks', () => {
  async function toApprovalStage(): Promise<{ incidentId: number; approvalId: number }> {
    const incidentId = h.engine.ingest(diskPressure()).incidentId!;
    await h.settle();
    await h.advance(10 * MIN);
    const approvals = actionsRepo.listApprovals(h.store.db, incidentId);
    expect(approvals).toHaveLength(1);
    return { incidentId, approvalId: approvals[0]!.id };
  }

  it('asks for cordon with all six prompt parts once containment did not clear the pressure', async () => {
    h = createHarness();
    const { incidentId, approvalId } = await toApprovalStage();
    const approval = actionsRepo.getApproval(h.store.db, approvalId)!;
    expect(approval.status).toBe('pending');
    const requested = incidentsRepo.timeline(h.store.db, incidentId).find((e) => e.kind === 'approval_requested')!;
    expect(requested.summary).toMatch(/^Robot SRE requests approval: .*node\/worker-1\. Reason: .+ Expected impact: .+ Rollback\/fallback: .+ Approval expires in 10m\.$/);
    expect(approval.prompt).toMatchObject({ action: 'cordon_node', target: 'node/worker-1' });
    expect(incidentsRepo.getIncident(h.store.db, incidentId)!.approvalState).toBe('pending');
  });

  it('executes an approved action once, recording who approved it, and refuses a second decision', async () => {
    h = createHarness();
    const { incidentId, approvalId } = await toApprovalStage();
    h.engine.decideApproval(approvalId, { approve: true, by: 'alice' });
    await h.settle();
    const cordon = h.journal().filter((e) => e.action === 'cordon_node');
    expect(cordon).toEqual([expect.objectContaining({ target: 'node/worker-1', approvedBy: 'alice' })]);
    expect(incidentsRepo.getIncident(h.store.db, incidentId)!.status).toBe('recovering');
    expect(() => h.engine.decideApproval(approvalId, { approve: false, by: 'bob' })).toThrow(/it is already approved/);
  });

  it('lets the approval expire, executes nothing and escalates', async () => {
    h = createHarness();
    const { incidentId, approvalId } = await toApprovalStage();
    await h.advance(10 * MIN);
    expect(actionsRepo.getApproval(h.store.db, approvalId)!.status).toBe('expired');
    expect(h.journal().some((e) => e.action === 'cordon_node')).toBe(false);
    expect(incidentsRepo.getIncident(h.store.db, incidentId)!.status).toBe('escalated');
    expect(() => h.engine.decideApproval(approvalId, { approve: true, by: 'late' })).toThrow(RobosreError);
    // Escalated incidents still resolve when the condition clears.
    h.engine.ingest(diskPressure({ status: 'resolved' }));
    await h.settle();
    expect(incidentsRepo.getIncident(h.store.db, incidentId)!.status).toBe('resolved');
  });

  it('re-checks the policy at execution time: an old approval does not beat a cooldown that started since', async () => {
    h = createHarness({ approvalTtlMs: 60 * MIN });
    const { approvalId } = await toApprovalStage();
    // Another incident on the same node gets its cordon approved and executed first.
    const other = h.engine.ingest(signal({ incidentType: 'node_unreachable_or_notready', subject: 'prod.node.worker-1', confidence: 'high', target: 'node/worker-1' })).incidentId!;
    await h.settle();
    await h.advance(10 * MIN);
    const otherApproval = actionsRepo.listApprovals(h.store.db, other).find((a) => a.status === 'pending')!;
    expect(otherApproval).toBeDefined();
    h.engine.decideApproval(otherApproval.id, { approve: true, by: 'bob' });
    await h.settle();
    h.engine.decideApproval(approvalId, { approve: true, by: 'alice' });
    await h.settle();
    expect(h.journal().filter((e) => e.action === 'cordon_node')).toHaveLength(1);
    const blocked = actionsRepo.getAction(h.store.db, actionsRepo.getApproval(h.store.db, approvalId)!.actionRowId)!;
    expect(blocked.status).toBe('blocked');
    expect(blocked.reasons.join(' ')).toMatch(/cooldown/i);
  });

  it('escalates when remediation fails', async () => {
    h = createHarness({}, ['delete_completed_pods']);
    const id = h.engine.ingest(diskPressure()).incidentId!;
    await h.settle();
    const incident = incidentsRepo.getIncident(h.store.db, id)!;
    expect(incident.status).toBe('escalated');
    expect(incidentsRepo.timeline(h.store.db, id).find((e) => e.kind === 'escalation')!.summary).toMatch(/delete_completed_pods/);
  });

  it('refuses an unknown approval id with a typed error', () => {
    h = createHarness();
    expect(() => h.engine.decideApproval(999, { approve: true, by: 'x' })).toThrow(/no approval with id 999/);
  });
});

describe('signals: bad input', () => {
  it('names every problem and changes nothing', () => {
    h = createHarness();
    h.engine.ingest(diskPressure());
    const before = incidentsRepo.listIncidents(h.store.db);
    expect(() => parseSignal({ incidentType: 'no_such_type', subject: 'x', status: 'burning', cluster: 'prod', trigger: 't', observedAt: -1, shell: 'rm -rf /' })).toThrow(
      /incidentType: unknown incident type; valid types: .*node_disk_pressure.*subject: .*status: .*observedAt: .*Unrecognized key.*shell/s,
    );
    expect(incidentsRepo.listIncidents(h.store.db)).toEqual(before);
  });
});

describe('engine: a condition that clears before the plan', () => {
  it('plans nothing and resolves', async () => {
    h = createHarness();
    const id = h.engine.ingest(diskPressure()).incidentId!;
    h.engine.ingest(diskPressure({ status: 'resolved' }));
    await h.settle();
    expect(incidentsRepo.getIncident(h.store.db, id)!.status).toBe('resolved');
    expect(actionsRepo.listActions(h.store.db, id)).toEqual([]);
    expect(h.journal()).toEqual([]);
  });
});
