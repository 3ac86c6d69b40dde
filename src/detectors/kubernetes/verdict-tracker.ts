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
  /** Per object uid, per incident type: one lookup of the uid per judgement, and an object's conditions found without a scan. */
  private readonly firing = new Map<string, Map<string, Reported>>();

  constructor(private readonly cluster: string) {}

  signals(ref: ObjectRef, verdicts: readonly Verdict[], now: number): Signal[] {
    const out: Signal[] = [];
    let ofObject = this.firing.get(ref.uid);
    for (const v of verdicts) {
      const before = ofObject?.get(v.incidentType);
      if (v.firing) {
        const count = v.count ?? 0;
        const confidence = RANK[v.confidence ?? 'medium'] ?? 1;
        const severity = RANK[v.severity ?? 'info'] ?? 0;
        // Again only when it happened again, when more evidence makes it surer, or when it got worse.
        if (before !== undefined && count <= before.count && confidence <= before.confidence && severity <= before.severity) continue;
        if (ofObject === undefined) {
          ofObject = new Map();
          this.firing.set(ref.uid, ofObject);
        }
        // The engine never lowers confidence or severity, so neither does what we remember having told it.
        ofObject.set(v.incidentType, before ? { count, confidence: Math.max(confidence, before.confidence), severity: Math.max(severity, before.severity) } : { count, confidence, severity });
        out.push(this.signal(ref, v, 'firing', now));
      } else if (before !== undefined) {
        ofObject!.delete(v.incidentType);
        if (ofObject!.size === 0) {
          this.firing.delete(ref.uid);
          ofObject = undefined;
        }
        out.push(this.signal(ref, v, 'resolved', now));
      }
    }
    return out;
  }

  /** The object is gone: everything it was firing clears. */
  deleted(ref: ObjectRef, now: number): Signal[] {
    const types = [...(this.firing.get(ref.uid)?.keys() ?? [])];
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
