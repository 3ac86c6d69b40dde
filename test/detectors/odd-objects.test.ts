/**
 * Objects with missing or odd fields — no status, unknown phases, huge
 * messages, wrong types where the API allows anything — never crash a view
 * or a detector: they judge what is there and bound what they keep.
 */
import type * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { toDaemonSetView, toDeploymentView, toEventView, toJobView, toNodeView, toPodView, toStatefulSetView } from '../../adapters/kubernetes/views.js';
import { classifyEvent } from '../../src/detectors/kubernetes/events.js';
import { DEFAULT_DETECTOR_SETTINGS as S } from '../../src/detectors/kubernetes/detect.js';
import { nodeRecheckAt, nodeVerdicts } from '../../src/detectors/kubernetes/node.js';
import { podVerdicts } from '../../src/detectors/kubernetes/pod.js';
import { workloadVerdicts } from '../../src/detectors/kubernetes/workload.js';

const NOW = Date.parse('2026-12-01T10:00:00Z');
const HUGE = 'x'.repeat(1_000_000);

describe('odd objects', () => {
  it('empty objects of every kind become views and judgements without throwing', () => {
    expect(() => nodeVerdicts(toNodeView({}), NOW, S)).not.toThrow();
    // Created at the epoch (no timestamp): every deadline is long past, so no timer.
    expect(nodeRecheckAt(toNodeView({}), NOW, S)).toBeNull();
    expect(podVerdicts(toPodView({}), NOW, S).every((v) => v.firing === false)).toBe(true);
    for (const view of [toDeploymentView({}), toStatefulSetView({}), toDaemonSetView({})]) expect(() => workloadVerdicts(view, NOW, S)).not.toThrow();
    expect(classifyEvent(toEventView({} as k8s.CoreV1Event))).toHaveLength(1);
    expect(toJobView({})).toMatchObject({ namespace: 'default', failed: false });
  });

  it('an unknown phase, unparseable times and a megabyte of message are judged and bounded', () => {
    const pod: k8s.V1Pod = {
      metadata: { name: 'p', namespace: 'shop', creationTimestamp: 'not a date' as unknown as Date },
      status: {
        phase: 'Exploded',
        message: HUGE,
        containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 9, state: { waiting: { reason: 'CrashLoopBackOff', message: HUGE } } }],
      },
    };
    const view = toPodView(pod);
    expect(view.phase).toBe('Exploded');
    expect(view.createdAt).toBe(0);
    expect(view.message!.length).toBeLessThanOrEqual(1000);
    const crash = podVerdicts(view, NOW, S).find((v) => v.incidentType === 'crash_loop_backoff')!;
    expect(crash.firing).toBe(true);
    expect(JSON.stringify(crash).length).toBeLessThan(10_000);
    const node = toNodeView({ metadata: { name: 'n' }, status: { conditions: [{ type: 'DiskPressure', status: 'True', message: HUGE, lastTransitionTime: 'soon' as unknown as Date }] } });
    const disk = nodeVerdicts(node, NOW, S)[0]!;
    expect(disk.firing).toBe(true);
    expect(disk.summary!.length).toBeLessThanOrEqual(1000);
    const event = toEventView({ metadata: { name: 'e' }, involvedObject: { kind: 'Node', name: 'n' }, reason: 'FreeDiskSpaceFailed', message: HUGE, count: Number.NaN, type: 'Warning' });
    expect(classifyEvent(event).every((f) => f.message.length <= 1000)).toBe(true);
  });
});
