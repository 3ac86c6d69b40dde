/** The Kubernetes detectors and their verdict tracker, as pure functions. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR_SETTINGS as S } from '../../src/detectors/kubernetes/detect.js';
import { buildupVerdict, type NamespaceBacklog } from '../../src/detectors/kubernetes/buildup.js';
import { ClusterFacts } from '../../src/detectors/kubernetes/cluster-facts.js';
import { classifyEvent, worthAlerting } from '../../src/detectors/kubernetes/events.js';
import { describeStale, kubeStateRecheckAt, kubeStateVerdict, watchReports } from '../../src/detectors/kubernetes/kube-state.js';
import { NO_NODE_CONTEXT, nodeRecheckAt, nodeVerdicts, notReadyDeadline, type NodeContext } from '../../src/detectors/kubernetes/node.js';
import { classifyPullError, isCore, isDiskEviction, isFinished, podVerdicts } from '../../src/detectors/kubernetes/pod.js';
import { VerdictTracker } from '../../src/detectors/kubernetes/verdict-tracker.js';
import type { EventView, NodeView, PodView, WorkloadView } from '../../src/detectors/kubernetes/views.js';
import { replicasDeadline, workloadVerdicts } from '../../src/detectors/kubernetes/workload.js';

const NOW = Date.parse('2026-11-23T10:00:00Z');
const node = (extra: Partial<NodeView> = {}): NodeView => ({ name: 'w1', uid: 'n1', resourceVersion: '1', createdAt: NOW - 3_600_000, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: NOW }], taints: [], ...extra });
const pod = (extra: Partial<PodView> = {}): PodView => ({ namespace: 'shop', name: 'api-1', uid: 'p1', resourceVersion: '1', phase: 'Running', createdAt: NOW - 60_000, containers: [], claims: [], ...extra });
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
  const dep = (extra: Partial<WorkloadView> = {}): WorkloadView => ({ kind: 'deployment', namespace: 'shop', name: 'api', uid: 'd1', resourceVersion: '1', createdAt: NOW - 1_000, desired: 3, available: 0, progressDeadlineExceeded: false, ...extra });
  const firing = (d: WorkloadView, at = NOW) => workloadVerdicts(d, at, S)[0]!.firing;

  it('gives a new or rolling Deployment the threshold before calling it short', () => {
    expect(firing(dep())).toBe(false);
    expect(replicasDeadline(dep(), S)).toBe(NOW - 1_000 + S.replicasMismatchAfterMs);
    expect(firing(dep(), NOW + S.replicasMismatchAfterMs)).toBe(true);
    expect(firing(dep({ available: 3 }))).toBe(false);
    expect(replicasDeadline(dep({ available: 3 }), S)).toBeNull();
  });

  it('fires at once on ProgressDeadlineExceeded, and after the threshold when Available has been False', () => {
    expect(workloadVerdicts(dep({ progressDeadlineExceeded: true }), NOW, S)[0]).toMatchObject({ firing: true, confidence: 'high' });
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

describe('disk pressure: severity and exit criteria', () => {
  const pressured = (extra: Partial<NodeView> = {}) => node({ conditions: [{ type: 'DiskPressure', status: 'True', lastTransitionTime: NOW - 60_000 }], ...extra });
  const disk = (n: NodeView, ctx: Partial<NodeContext> = {}, at = NOW) => nodeVerdicts(n, at, S, { ...NO_NODE_CONTEXT, ...ctx })[0]!;

  it('is a warning for one node under ten minutes, critical after ten, with several nodes, or with core pods evicted', () => {
    expect(disk(pressured())).toMatchObject({ firing: true, severity: 'warning' });
    expect(disk(pressured(), {}, NOW - 60_000 + S.diskPressureCriticalAfterMs + 1)).toMatchObject({ severity: 'critical', summary: expect.stringContaining('pressure for 10 min') });
    expect(disk(pressured(), { otherNodesInPressure: ['w2'] })).toMatchObject({ severity: 'critical', summary: expect.stringContaining('2 nodes in pressure') });
    expect(disk(pressured(), { evictions: [{ pod: 'shop/api-1', at: NOW - 1_000, core: true }] })).toMatchObject({ severity: 'critical', summary: expect.stringContaining('shop/api-1') });
    expect(disk(pressured(), { evictions: [{ pod: 'batch/x', at: NOW - 1_000, core: false }] }).severity).toBe('warning');
  });

  it('counts kubelet disk events and evictions as signs: an event alone is low, a burst alone medium, two kinds high', () => {
    const event = { reason: 'EvictionThresholdMet', message: 'Attempting to reclaim ephemeral-storage', at: NOW - 1_000, count: 4 };
    expect(disk(node(), { diskEvents: [event] })).toMatchObject({ firing: true, confidence: 'low', summary: expect.stringContaining('EvictionThresholdMet ×4') });
    const burst = [1, 2, 3].map((i) => ({ pod: `batch/p${i}`, at: NOW - i * 1_000, core: false }));
    expect(disk(node(), { evictions: burst.slice(0, 2) }).firing).toBe(false);
    expect(disk(node(), { evictions: burst })).toMatchObject({ firing: true, confidence: 'medium' });
    expect(disk(pressured(), { diskEvents: [event] }).confidence).toBe('high');
  });

  it('stays firing after the condition clears until no eviction or disk event for the quiet period', () => {
    const cleared = node({ conditions: [{ type: 'DiskPressure', status: 'False' }] });
    const lastEviction = NOW - 60_000;
    const ctx = { evictions: [{ pod: 'batch/p1', at: lastEviction, core: false }], pressureSeenSince: NOW - 5 * 60_000 };
    expect(disk(cleared, ctx)).toMatchObject({ firing: true, summary: expect.stringContaining('waiting out the quiet period') });
    expect(nodeRecheckAt(cleared, NOW, S, { ...NO_NODE_CONTEXT, ...ctx })).toBe(lastEviction + S.evictionQuietMs);
    expect(disk(cleared, ctx, lastEviction + S.evictionQuietMs).firing).toBe(false);
    // Without any eviction the condition clearing is enough.
    expect(disk(cleared, { pressureSeenSince: NOW - 5 * 60_000 }).firing).toBe(false);
  });

  it('sets a timer for the moment pressure turns critical', () => {
    expect(nodeRecheckAt(pressured(), NOW, S)).toBe(NOW - 60_000 + S.diskPressureCriticalAfterMs + 1);
    expect(nodeRecheckAt(node(), NOW, S)).toBeNull();
  });
});

describe('pod evidence', () => {
  it('takes the scheduler reason from FailedScheduling events and counts unbound claims', () => {
    const pending = pod({ phase: 'Pending', createdAt: NOW - S.pendingAfterMs });
    expect(podVerdicts(pending, NOW, S).find((v) => v.incidentType === 'pod_pending_too_long')!.confidence).toBe('medium');
    const ctx = { events: [{ reason: 'FailedScheduling', message: '0/3 nodes are available: 3 Insufficient cpu.', count: 7, at: NOW }], unboundClaims: [], ownerChain: ['job/shop/j1', 'cronjob/shop/c1'] };
    const v = podVerdicts(pending, NOW, S, ctx).find((x) => x.incidentType === 'pod_pending_too_long')!;
    expect(v).toMatchObject({ confidence: 'high', summary: expect.stringContaining('Insufficient cpu'), evidence: { ownerChain: ['job/shop/j1', 'cronjob/shop/c1'] } });
    const claim = podVerdicts(pending, NOW, S, { events: [], unboundClaims: ['data-0'], ownerChain: [] }).find((x) => x.incidentType === 'pod_pending_too_long')!;
    expect(claim).toMatchObject({ confidence: 'high', summary: expect.stringContaining('unbound claims: data-0') });
  });

  it('makes a pull failure of a core workload critical', () => {
    const pulling = (owner: string) => pod({ owner, containers: [{ name: 'a', ready: false, restartCount: 0, image: 'x', waiting: { reason: 'ErrImagePull', message: 'unauthorized' } }] });
    const settings = { ...S, coreWorkloads: ['deployment/shop/*'] };
    expect(podVerdicts(pulling('deployment/shop/api'), NOW, settings).find((v) => v.incidentType === 'registry_pull_failure')!.severity).toBe('critical');
    expect(podVerdicts(pulling('deployment/batch/api'), NOW, settings).find((v) => v.incidentType === 'registry_pull_failure')!.severity).toBe('warning');
    expect(isCore(undefined, settings)).toBe(false);
  });

  it('tells disk evictions and finished pods apart', () => {
    expect(isDiskEviction(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.' }))).toBe(true);
    expect(isDiskEviction(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }))).toBe(false);
    expect(isFinished(pod({ phase: 'Succeeded' })) && isFinished(pod({ phase: 'Failed' })) && !isFinished(pod({ phase: 'Running' }))).toBe(true);
  });
});

describe('events', () => {
  const ev = (extra: Partial<EventView>): EventView => ({ uid: 'e1', namespace: 'default', type: 'Warning', reason: 'BackOff', message: '', count: 1, lastAt: NOW, involved: { kind: 'Pod', namespace: 'shop', name: 'api-1' }, ...extra });

  it('keeps Warning events only unless asked, and files every event as evidence of its object', () => {
    expect(worthAlerting(ev({ type: 'Normal' }), false)).toBe(false);
    expect(worthAlerting(ev({ type: 'Normal' }), true)).toBe(true);
    expect(classifyEvent(ev({}))).toEqual([{ kind: 'object', key: 'pod/shop/api-1', reason: 'BackOff', message: '', count: 1, at: NOW }]);
  });

  it('reads kubelet disk events on nodes and disk evictions of pods', () => {
    const nodeEvent = ev({ reason: 'EvictionThresholdMet', message: 'Attempting to reclaim ephemeral-storage', involved: { kind: 'Node', name: 'w1' } });
    expect(classifyEvent(nodeEvent).map((f) => f.kind)).toEqual(['object', 'node_disk']);
    expect(classifyEvent({ ...nodeEvent, message: 'Attempting to reclaim memory' }).map((f) => f.kind)).toEqual(['object']);
    const evicted = ev({ reason: 'Evicted', message: 'The node was low on resource: ephemeral-storage.', host: 'w1' });
    expect(classifyEvent(evicted)[1]).toMatchObject({ kind: 'disk_eviction', namespace: 'shop', pod: 'api-1', node: 'w1' });
  });
});

describe('cluster facts', () => {
  it('keeps a repeated event as one, bounded per object, newest first', () => {
    const facts = new ClusterFacts();
    const fact = (count: number, at: number) => classifyEvent({ uid: 'e1', namespace: 'shop', type: 'Warning', reason: 'BackOff', message: 'm', count, lastAt: at, involved: { kind: 'Pod', namespace: 'shop', name: 'a' } });
    for (let i = 1; i <= 600; i += 1) facts.recordEvent('e1', fact(i, NOW + i), () => undefined);
    expect(facts.eventsOf('Pod', 'shop', 'a')).toEqual([{ reason: 'BackOff', message: 'm', count: 600, at: NOW + 600 }]);
    for (let i = 0; i < 10; i += 1) facts.recordEvent(`x${i}`, fact(1, NOW + i), () => undefined);
    expect(facts.eventsOf('Pod', 'shop', 'a')).toHaveLength(5);
  });

  it('finds the node of an evicted pod from the pod cache, and forgets evictions outside the window', () => {
    const facts = new ClusterFacts();
    const evicted = classifyEvent({ uid: 'e2', namespace: 'shop', type: 'Warning', reason: 'Evicted', message: 'low on resource: ephemeral-storage', count: 1, lastAt: NOW, involved: { kind: 'Pod', namespace: 'shop', name: 'a' } });
    expect(facts.recordEvent('e2', evicted, (ns, name) => (ns === 'shop' && name === 'a' ? 'w9' : undefined))).toBe('w9');
    expect(facts.nodeContext('w9', NOW, S.evictionQuietMs).evictions).toHaveLength(1);
    expect(facts.nodeContext('w9', NOW + S.evictionQuietMs, S.evictionQuietMs).evictions).toHaveLength(0);
  });

  it('counts a namespace backlog, CronJob failures (not suspended ones) and the pressured nodes under it', () => {
    const facts = new ClusterFacts();
    for (let i = 0; i < 60; i += 1) facts.setFinished('ci', `p${i}`, { phase: i % 3 ? 'Succeeded' : 'Failed', node: i < 40 ? 'w1' : 'w2', owner: 'cronjob/ci/nightly' });
    expect(facts.setFinished('ci', 'p0', { phase: 'Failed', node: 'w1', owner: 'cronjob/ci/nightly' })).toBe(false);
    for (let i = 0; i < 4; i += 1) facts.setJob('ci/nightly', `j${i}`, true);
    facts.setPressure('w1', true, NOW);
    const b = facts.backlog('ci');
    expect(b).toMatchObject({ succeeded: 40, failed: 20, byNode: [{ node: 'w1', pods: 40 }, { node: 'w2', pods: 20 }], cronJobFailures: [{ name: 'nightly', failedJobs: 4 }] });
    expect(facts.namespacesOnNode('w2')).toEqual(['ci']);
    const v = buildupVerdict(b, S);
    expect(v).toMatchObject({ firing: true, confidence: 'high', severity: 'critical', node: 'w1', summary: expect.stringContaining('contributing to disk pressure on w1 (40 pods)') });
    facts.setSuspended('ci/nightly', true);
    expect(facts.backlog('ci').cronJobFailures).toEqual([]);
  });
});

describe('background_job_buildup', () => {
  const backlog = (extra: Partial<NamespaceBacklog> = {}): NamespaceBacklog => ({ namespace: 'ci', succeeded: 0, failed: 0, byNode: [], byOwner: [], cronJobFailures: [], pressuredNodes: new Set(), ...extra });

  it('fires over the threshold (high, warning without node impact) or on a noisy CronJob alone (medium)', () => {
    expect(buildupVerdict(backlog({ succeeded: S.finishedPodsThreshold }), S).firing).toBe(false);
    expect(buildupVerdict(backlog({ succeeded: S.finishedPodsThreshold, failed: 1 }), S)).toMatchObject({ firing: true, confidence: 'high', severity: 'warning' });
    expect(buildupVerdict(backlog({ cronJobFailures: [{ name: 'n', failedJobs: S.noisyCronJobFailures - 1 }] }), S).firing).toBe(false);
    expect(buildupVerdict(backlog({ cronJobFailures: [{ name: 'n', failedJobs: S.noisyCronJobFailures }] }), S)).toMatchObject({
      firing: true,
      confidence: 'medium',
      summary: expect.stringContaining('noisy CronJobs: n (3 failed jobs)'),
      evidence: { cronjobs: ['cronjob/ci/n'] },
    });
  });
});

describe('kube_state_stuck', () => {
  it('fires for a watch failing past the threshold, critical when every watch is', () => {
    const ok = { name: 'pods', lastActivityAt: NOW - 1_000 };
    expect(kubeStateVerdict([ok], NOW, S).firing).toBe(false);
    const failing = { name: 'nodes', failingSince: NOW - S.watchFailingAfterMs, lastError: 'HTTP 403 Forbidden' };
    expect(kubeStateVerdict([ok, { ...failing, failingSince: NOW - S.watchFailingAfterMs + 1 }], NOW, S).firing).toBe(false);
    expect(kubeStateVerdict([ok, failing], NOW, S)).toMatchObject({ firing: true, severity: 'warning', confidence: 'high', summary: expect.stringContaining('nodes failing for 60s (HTTP 403 Forbidden)') });
    expect(kubeStateVerdict([failing], NOW, S)).toMatchObject({ severity: 'critical' });
    expect(kubeStateRecheckAt([ok, { name: 'jobs', failingSince: NOW - 10_000 }], NOW, S)).toBe(NOW - 10_000 + S.watchFailingAfterMs);
  });

  it('judges silence on the whole view: one idle watch is a quiet resource, every watch silent is a hung connection', () => {
    const idle = { name: 'cronjobs', lastActivityAt: NOW - 2 * S.watchSilentAfterMs };
    const busy = { name: 'pods', lastActivityAt: NOW - 1_000 };
    expect(kubeStateVerdict([idle, busy], NOW, S).firing).toBe(false);
    const silent = [idle, { ...busy, lastActivityAt: NOW - S.watchSilentAfterMs }];
    expect(kubeStateVerdict(silent, NOW, S)).toMatchObject({ firing: true, severity: 'critical', confidence: 'medium', summary: expect.stringContaining('nothing heard on any of 2 watches for 600s') });
    expect(kubeStateRecheckAt([idle, busy], NOW, S)).toBe(NOW - 1_000 + S.watchSilentAfterMs);
    expect(kubeStateVerdict([{ name: 'nodes' }], NOW, S).firing).toBe(false);
  });

  it('reports each watch for /metrics and /readyz: stale when failing past the threshold or unheard past the silence threshold', () => {
    const counts = { watches: 2, lists: 1, failures: 0 };
    const [live, failingShort, failing, unheard, unlisted] = watchReports(
      [
        { name: 'pods', lastActivityAt: NOW - 1_000, ...counts },
        { name: 'jobs', lastActivityAt: NOW - 1_000, failingSince: NOW - S.watchFailingAfterMs + 1, ...counts },
        { name: 'nodes', lastActivityAt: NOW - 90_000, failingSince: NOW - S.watchFailingAfterMs, lastError: 'HTTP 403 Forbidden', ...counts, failures: 4 },
        { name: 'events', lastActivityAt: NOW - S.watchSilentAfterMs, ...counts },
        { name: 'cronjobs', ...counts },
      ],
      NOW,
      S,
    );
    expect(live).toMatchObject({ heardAgoMs: 1_000, stale: false, watches: 2, lists: 1 });
    expect(failingShort!.stale).toBe(false);
    expect(failing).toMatchObject({ heardAgoMs: 90_000, stale: true, failures: 4 });
    expect(describeStale(failing!, NOW)).toBe('nodes failing for 60s (HTTP 403 Forbidden)');
    expect(unheard!.stale).toBe(true);
    expect(describeStale(unheard!, NOW)).toBe('events unheard for 600s');
    expect(unlisted).toMatchObject({ heardAgoMs: null, stale: false });
  });
});

describe('verdict tracker: severity', () => {
  it('signals again when a condition gets worse, never when it eases', () => {
    const t = new VerdictTracker('prod');
    const ref = { uid: 'n1', resourceVersion: '1', subject: 'prod.node.w1', target: 'node/w1', node: 'w1' };
    const disk = (severity: 'warning' | 'critical', rv: string) => t.signals({ ...ref, resourceVersion: rv }, [{ incidentType: 'node_disk_pressure', firing: true, confidence: 'high', severity }], NOW);
    expect(disk('warning', '1')).toHaveLength(1);
    expect(disk('critical', '2')).toMatchObject([{ severity: 'critical', node: 'w1' }]);
    expect(disk('warning', '3')).toEqual([]);
    expect(disk('critical', '4')).toEqual([]);
  });
});
