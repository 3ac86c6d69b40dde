/** The Kubernetes detectors and their verdict tracker, as pure functions. */
import { describe, expect, it } from 'vitest';
import { classifyPullError, DEFAULT_DETECTOR_SETTINGS as S, deploymentVerdicts, nodeVerdicts, notReadyDeadline, podVerdicts, replicasDeadline } from '../../src/detectors/kubernetes/detect.js';
import { VerdictTracker } from '../../src/detectors/kubernetes/verdict-tracker.js';
import type { DeploymentView, NodeView, PodView } from '../../src/detectors/kubernetes/views.js';

const NOW = Date.parse('2026-11-23T10:00:00Z');
const node = (extra: Partial<NodeView> = {}): NodeView => ({ name: 'w1', uid: 'n1', resourceVersion: '1', createdAt: NOW - 3_600_000, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: NOW }], taints: [], ...extra });
const pod = (extra: Partial<PodView> = {}): PodView => ({ namespace: 'shop', name: 'api-1', uid: 'p1', resourceVersion: '1', phase: 'Running', createdAt: NOW - 60_000, containers: [], ...extra });
const verdict = (vs: ReturnType<typeof nodeVerdicts>, type: string) => vs.find((v) => v.incidentType === type)!;

describe('node detectors', () => {
  it('reads disk pressure from the condition and the taint, surer with both', () => {
    expect(verdict(nodeVerdicts(node(), NOW, S), 'node_disk_pressure').firing).toBe(false);
    const taintOnly = verdict(nodeVerdicts(node({ taints: [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }] }), NOW, S), 'node_disk_pressure');
    expect(taintOnly).toMatchObject({ firing: true, confidence: 'medium' });
    const both = nodeVerdicts(node({ taints: [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }], conditions: [{ type: 'DiskPressure', status: 'True' }] }), NOW, S);
    expect(verdict(both, 'node_disk_pressure')).toMatchObject({ firing: true, confidence: 'high' });
  });

  it('counts a stale heartbeat, Ready=Unknown and the unreachable taint as not ready', () => {
    const stale = node({ conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: NOW - 10 * 60_000 }] });
    expect(verdict(nodeVerdicts(stale, NOW, S), 'node_unreachable_or_notready')).toMatchObject({ firing: true, confidence: 'medium' });
    const gone = node({ conditions: [{ type: 'Ready', status: 'Unknown', lastHeartbeatTime: NOW - 10 * 60_000 }], taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] });
    expect(verdict(nodeVerdicts(gone, NOW, S), 'node_unreachable_or_notready')).toMatchObject({ firing: true, confidence: 'high' });
  });

  it('gives a joining or rebooting node the grace period before calling it an incident', () => {
    const joining = node({ createdAt: NOW - 10_000, conditions: [], taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] });
    expect(verdict(nodeVerdicts(joining, NOW, S), 'node_unreachable_or_notready').firing).toBe(false);
    expect(notReadyDeadline(joining, NOW, S)).toBe(NOW - 10_000 + S.notReadyAfterMs);
    expect(verdict(nodeVerdicts(joining, NOW + S.notReadyAfterMs, S), 'node_unreachable_or_notready').firing).toBe(true);
    const rebooting = node({ conditions: [{ type: 'Ready', status: 'False', lastHeartbeatTime: NOW, lastTransitionTime: NOW - 5_000 }] });
    expect(verdict(nodeVerdicts(rebooting, NOW, S), 'node_unreachable_or_notready').firing).toBe(false);
    expect(notReadyDeadline(node(), NOW, S)).toBeNull();
  });

  it('never throws on a node with nothing in it', () => {
    expect(() => nodeVerdicts({ name: '', uid: '', resourceVersion: '', createdAt: Number.NaN, conditions: [], taints: [] }, NOW, S)).not.toThrow();
  });
});

describe('pod detectors', () => {
  it('classifies registry answers', () => {
    expect(classifyPullError('toomanyrequests: You have reached your pull rate limit')).toBe('rate_limited');
    expect(classifyPullError('unauthorized: authentication required')).toBe('unauthorized');
    expect(classifyPullError('manifest unknown: manifest tagged by "v9" is not found')).toBe('manifest_unknown');
    expect(classifyPullError('403 Forbidden')).toBe('forbidden');
    expect(classifyPullError('')).toBe('other');
  });

  it('waits for the pending threshold, and does not call an image pull a pending pod', () => {
    const young = pod({ phase: 'Pending', createdAt: NOW - S.pendingAfterMs + 1 });
    expect(podVerdicts(young, NOW, S).find((v) => v.incidentType === 'pod_pending_too_long')!.firing).toBe(false);
    const old = pod({ phase: 'Pending', createdAt: NOW - S.pendingAfterMs });
    expect(podVerdicts(old, NOW, S).find((v) => v.incidentType === 'pod_pending_too_long')!.firing).toBe(true);
    const pulling = pod({ phase: 'Pending', createdAt: NOW - S.pendingAfterMs, containers: [{ name: 'a', ready: false, restartCount: 0, image: 'x', waiting: { reason: 'ImagePullBackOff' } }] });
    const vs = podVerdicts(pulling, NOW, S);
    expect(vs.filter((v) => v.firing).map((v) => v.incidentType)).toEqual(['registry_pull_failure']);
  });

  it('reports OOMKilled with the memory limit as evidence', () => {
    const oom = pod({ containers: [{ name: 'a', ready: false, restartCount: 2, image: 'x', lastTerminated: { reason: 'OOMKilled', exitCode: 137 }, memoryLimit: '256Mi' }] });
    expect(podVerdicts(oom, NOW, S).find((v) => v.incidentType === 'oom_killed')).toMatchObject({ firing: true, summary: expect.stringContaining('256Mi') });
  });
});

describe('deployment detector', () => {
  const dep = (extra: Partial<DeploymentView> = {}): DeploymentView => ({ namespace: 'shop', name: 'api', uid: 'd1', resourceVersion: '1', createdAt: NOW - 1_000, desired: 3, available: 0, progressDeadlineExceeded: false, ...extra });
  const firing = (d: DeploymentView, at = NOW) => deploymentVerdicts(d, at, S)[0]!.firing;

  it('gives a new or rolling Deployment the threshold before calling it short', () => {
    expect(firing(dep())).toBe(false);
    expect(replicasDeadline(dep(), S)).toBe(NOW - 1_000 + S.replicasMismatchAfterMs);
    expect(firing(dep(), NOW + S.replicasMismatchAfterMs)).toBe(true);
    expect(firing(dep({ available: 3 }))).toBe(false);
    expect(replicasDeadline(dep({ available: 3 }), S)).toBeNull();
  });

  it('fires at once on ProgressDeadlineExceeded, and after the threshold when Available has been False', () => {
    expect(deploymentVerdicts(dep({ progressDeadlineExceeded: true }), NOW, S)[0]).toMatchObject({ firing: true, confidence: 'high' });
    expect(firing(dep({ available: 1, availableSince: { status: 'False', at: NOW - S.replicasMismatchAfterMs } }))).toBe(true);
  });
});

describe('verdict tracker', () => {
  it('signals a start, each growth and the clearing, and nothing for repeats', () => {
    const t = new VerdictTracker('prod');
    const ref = { uid: 'p1', resourceVersion: '1', subject: 'prod.pod.shop.api-1', target: 'deployment/shop/api' };
    const crash = (count: number) => [{ incidentType: 'crash_loop_backoff', firing: true, count, confidence: 'high' as const }];
    expect(t.signals(ref, crash(3), NOW).map((s) => s.status)).toEqual(['firing']);
    expect(t.signals({ ...ref, resourceVersion: '2' }, crash(3), NOW)).toEqual([]);
    expect(t.signals({ ...ref, resourceVersion: '3' }, crash(4), NOW)).toHaveLength(1);
    expect(t.signals({ ...ref, resourceVersion: '4' }, [{ incidentType: 'crash_loop_backoff', firing: false }], NOW).map((s) => s.status)).toEqual(['resolved']);
    expect(t.signals({ ...ref, resourceVersion: '5' }, [{ incidentType: 'crash_loop_backoff', firing: false }], NOW)).toEqual([]);
    t.signals(ref, crash(5), NOW);
    expect(t.deleted(ref, NOW).map((s) => `${s.incidentType}:${s.status}`)).toEqual(['crash_loop_backoff:resolved']);
  });
});
