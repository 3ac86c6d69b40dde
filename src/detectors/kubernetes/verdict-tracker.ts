/**
 * Turns verdicts into signals only when something changed: a condition
 * starting, growing (another restart) or clearing. Repeated watch events
 * that change nothing the detectors judge by cost no signal at all.
 */
import type { Signal, SignalGroup } from '../../engine/model.js';
import { perType } from '../../engine/storm-grouping.js';
import type { Verdict } from './detect.js';

export interface ObjectRef {
  uid: string;
  resourceVersion: string;
  subject: string;
  target: string;
  node?: string;
  /** What the object's incidents may share a cause with (the key is made per incident type); asked only for a signal sent. */
  group?: () => SignalGroup;
}

const RANK: Record<string, number> = { low: 0, medium: 1, high: 2, info: 0, warning: 1, critical: 2 };

/** What was last reported for a firing condition: its count, how sure the detector was, and how bad. */
interface Reported {
  count: number;
  confidence: number;
  severity: number;
}

export class VerdictTracker {
  private readonly firing = new Map<string, Reported>();

  constructor(private readonly cluster: string) {}

  signals(ref: ObjectRef, verdicts: readonly Verdict[], now: number): Signal[] {
    const out: Signal[] = [];
    for (const v of verdicts) {
      const key = `${ref.uid}/${v.incidentType}`;
      const before = this.firing.get(key);
      if (v.firing) {
        const reported = { count: v.count ?? 0, confidence: RANK[v.confidence ?? 'medium'] ?? 1, severity: RANK[v.severity ?? 'info'] ?? 0 };
        // Again only when it happened again, when more evidence makes it surer, or when it got worse.
        if (before !== undefined && reported.count <= before.count && reported.confidence <= before.confidence && reported.severity <= before.severity) continue;
        // The engine never lowers confidence or severity, so neither does what we remember having told it.
        this.firing.set(key, before ? { count: reported.count, confidence: Math.max(reported.confidence, before.confidence), severity: Math.max(reported.severity, before.severity) } : reported);
        out.push(this.signal(ref, v, 'firing', now));
      } else if (before !== undefined) {
        this.firing.delete(key);
        out.push(this.signal(ref, v, 'resolved', now));
      }
    }
    return out;
  }

  /** The object is gone: everything it was firing clears. */
  deleted(ref: ObjectRef, now: number): Signal[] {
    const types = [...this.firing.keys()].filter((k) => k.startsWith(`${ref.uid}/`)).map((k) => k.slice(ref.uid.length + 1));
    return this.signals(ref, types.map((incidentType) => ({ incidentType, firing: false })), now);
  }

  private signal(ref: ObjectRef, v: Verdict, status: 'firing' | 'resolved', now: number): Signal {
    return {
      id: `k8s:${ref.uid}:${v.incidentType}:${ref.resourceVersion}:${status}`,
      trigger: 'kubernetes_watch',
      incidentType: v.incidentType,
      cluster: this.cluster,
      subject: ref.subject,
      status,
      observedAt: now,
      target: ref.target,
      ...((v.node ?? ref.node) ? { node: v.node ?? ref.node } : {}),
      ...(v.severity ? { severity: v.severity } : {}),
      ...(v.confidence ? { confidence: v.confidence } : {}),
      ...(v.summary ? { summary: v.summary } : {}),
      ...(v.evidence ? { params: v.evidence } : {}),
      ...(ref.group ? { group: perType(ref.group(), v.incidentType) } : {}),
    };
  }
}
