/**
 * Node detectors: disk pressure (condition, taint, kubelet disk events, a
 * burst of disk evictions) and not-ready/unreachable (Ready, taints,
 * heartbeat age), with the seed's severity rules and exit criteria.
 */
import { earliestAhead, type DetectorSettings, type Verdict } from './detect.js';
import type { NodeView } from './views.js';

/** What the rest of the cluster says about one node, from the watcher's facts. */
export interface NodeContext {
  /** Pods evicted from this node for disk, with when and whether they belong to a core workload. */
  evictions: ReadonlyArray<{ pod: string; at: number; core: boolean }>;
  /** Kubelet disk events on this node (EvictionThresholdMet, FreeDiskSpaceFailed, ImageGCFailed). */
  diskEvents: ReadonlyArray<{ reason: string; message: string; at: number; count: number }>;
  /** Other nodes in disk pressure right now. */
  otherNodesInPressure: readonly string[];
  /** Since when the watcher has seen this node's disk pressure, when the condition does not say. */
  pressureSeenSince?: number;
}

export const NO_NODE_CONTEXT: NodeContext = { evictions: [], diskEvents: [], otherNodesInPressure: [] };

const DISK_TAINT = 'node.kubernetes.io/disk-pressure';
const UNREACHABLE_TAINTS = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'];

/** Since when a node has looked not ready, or null when it looks ready. */
function notReadySince(node: NodeView, now: number, settings: DetectorSettings): number | null {
  const ready = node.conditions.find((c) => c.type === 'Ready');
  const heartbeat = ready?.lastHeartbeatTime;
  if (heartbeat !== undefined && now - heartbeat > settings.heartbeatStaleMs) return heartbeat + settings.heartbeatStaleMs;
  if (ready && ready.status !== 'True') return ready.lastTransitionTime ?? node.createdAt;
  // A node the kubelet has not reported on yet, or tainted unreachable.
  if (!ready || node.taints.some((t) => UNREACHABLE_TAINTS.includes(t.key))) return ready?.lastTransitionTime ?? node.createdAt;
  return null;
}

/** When a node that looks not ready now will have been so for long enough, so the runner can look again then. */
export function notReadyDeadline(node: NodeView, now: number, settings: DetectorSettings): number | null {
  const since = notReadySince(node, now, settings);
  return since === null ? null : since + settings.notReadyAfterMs;
}

/** The node's own disk signs (condition, taint) and those the facts add within the quiet window. */
function diskSigns(node: NodeView, ctx: NodeContext, now: number, settings: DetectorSettings) {
  const condition = node.conditions.find((c) => c.type === 'DiskPressure');
  const recent = (at: number) => now - at < settings.evictionQuietMs;
  const evictions = ctx.evictions.filter((e) => recent(e.at));
  const events = ctx.diskEvents.filter((e) => recent(e.at));
  const conditionTrue = condition?.status === 'True';
  const taint = node.taints.some((t) => t.key === DISK_TAINT);
  const burst = evictions.length >= settings.evictionBurst;
  const current = conditionTrue || taint;
  // Exit criteria: the condition and taint gone *and* no new eviction or disk event for the quiet window.
  const lingering = evictions.length > 0 || events.length > 0;
  const firing = current || burst || events.length > 0 || (lingering && ctx.pressureSeenSince !== undefined);
  const lastSign = Math.max(-Infinity, ...evictions.map((e) => e.at), ...events.map((e) => e.at));
  return { condition, conditionTrue, taint, evictions, events, burst, current, firing, lastSign };
}

export function nodeVerdicts(node: NodeView, now: number, settings: DetectorSettings, ctx: NodeContext = NO_NODE_CONTEXT): Verdict[] {
  return [diskPressureVerdict(node, ctx, now, settings), notReadyVerdict(node, now, settings)];
}

function diskPressureVerdict(node: NodeView, ctx: NodeContext, now: number, settings: DetectorSettings): Verdict {
  const d = diskSigns(node, ctx, now, settings);
  if (!d.firing) return { incidentType: 'node_disk_pressure', firing: false };
  // Independent signs: the kubelet's condition, the node-lifecycle taint, kubelet events, evictions.
  const signs = [d.conditionTrue, d.taint, d.events.length > 0, d.evictions.length > 0].filter(Boolean).length;
  const confidence = signs >= 2 ? 'high' : d.current || d.burst ? 'medium' : 'low';
  const since = Math.min(d.conditionTrue && d.condition?.lastTransitionTime !== undefined ? d.condition.lastTransitionTime : now, ctx.pressureSeenSince ?? now);
  const coreEvicted = d.evictions.filter((e) => e.core).map((e) => e.pod);
  const reasons = [
    // "Persists" means the node still says so, not that the quiet period is being waited out.
    ...((d.current || d.burst) && now - since > settings.diskPressureCriticalAfterMs ? [`pressure for ${Math.round((now - since) / 60_000)} min`] : []),
    ...(ctx.otherNodesInPressure.length > 0 ? [`${ctx.otherNodesInPressure.length + 1} nodes in pressure`] : []),
    ...(coreEvicted.length > 0 ? [`customer-facing pods evicted: ${coreEvicted.slice(0, 5).join(', ')}`] : []),
  ];
  const signText = [
    d.conditionTrue ? `DiskPressure=True (${d.condition?.reason ?? 'no reason'})` : '',
    d.taint ? `taint ${DISK_TAINT}` : '',
    d.events.length ? d.events.map((e) => `${e.reason}${e.count > 1 ? ` ×${e.count}` : ''}`).join(', ') : '',
    d.evictions.length ? `${d.evictions.length} disk eviction${d.evictions.length > 1 ? 's' : ''} in ${Math.round(settings.evictionQuietMs / 60_000)} min` : '',
    !d.current && !d.burst ? 'condition cleared, waiting out the quiet period' : '',
  ].filter(Boolean);
  return {
    incidentType: 'node_disk_pressure',
    firing: true,
    severity: reasons.length > 0 ? 'critical' : 'warning',
    confidence,
    summary: `node ${node.name}: ${signText.join(', ')}${reasons.length ? ` — critical: ${reasons.join('; ')}` : ''}`.slice(0, 1000),
    evidence: {
      condition: d.condition ?? null,
      taint: d.taint,
      diskEvents: d.events.slice(0, 10),
      evictions: d.evictions.slice(0, 20),
      otherNodesInPressure: ctx.otherNodesInPressure.slice(0, 20),
      pressureForMs: now - since,
    },
  };
}

function notReadyVerdict(node: NodeView, now: number, settings: DetectorSettings): Verdict {
  const ready = node.conditions.find((c) => c.type === 'Ready');
  const heartbeat = ready?.lastHeartbeatTime;
  const stale = heartbeat !== undefined && now - heartbeat > settings.heartbeatStaleMs;
  const taint = node.taints.find((t) => UNREACHABLE_TAINTS.includes(t.key));
  const since = notReadySince(node, now, settings);
  if (since === null || now - since < settings.notReadyAfterMs) return { incidentType: 'node_unreachable_or_notready', firing: false };
  return {
    incidentType: 'node_unreachable_or_notready',
    firing: true,
    confidence: [ready !== undefined && ready.status !== 'True', taint !== undefined, stale].filter(Boolean).length >= 2 ? 'high' : 'medium',
    summary: `node ${node.name} not ready for ${Math.round((now - since) / 1000)}s: Ready=${ready?.status ?? 'missing'}${ready?.reason ? ` (${ready.reason})` : ''}${taint ? `, taint ${taint.key}` : ''}${stale ? `, no heartbeat for ${Math.round((now - heartbeat) / 1000)}s` : ''}`,
    evidence: { ready: ready ?? null, taint: taint?.key ?? null, heartbeatAgeMs: heartbeat === undefined ? null : now - heartbeat, notReadyForMs: now - since },
  };
}

/**
 * When a verdict of this node can change with nothing new arriving: the
 * not-ready grace ending, disk pressure turning critical with time, or the
 * eviction quiet period running out. The runner sets one timer for it.
 */
export function nodeRecheckAt(node: NodeView, now: number, settings: DetectorSettings, ctx: NodeContext = NO_NODE_CONTEXT): number | null {
  const d = diskSigns(node, ctx, now, settings);
  const since = Math.min(d.conditionTrue && d.condition?.lastTransitionTime !== undefined ? d.condition.lastTransitionTime : now, ctx.pressureSeenSince ?? now);
  return earliestAhead(
    now,
    notReadyDeadline(node, now, settings),
    d.current || d.burst ? since + settings.diskPressureCriticalAfterMs + 1 : null,
    Number.isFinite(d.lastSign) ? d.lastSign + settings.evictionQuietMs : null,
  );
}
