/**
 * Helm releases against what runs (`release_drift_or_partial_apply`): a
 * release that failed, hangs pending, or whose workloads no longer carry the
 * images and pull secrets it rendered, or were never created. Pure: the
 * release (decoded from its Secret by the adapter), a lookup of the live
 * workloads and the time in, one verdict out.
 */
import type { Confidence, Severity } from '../../../policies/types.js';
import type { Verdict } from './detect.js';
import { clip } from '../../../conversations/text.js';

export interface HelmReleaseView {
  namespace: string;
  name: string;
  revision: number;
  /** deployed, failed, pending-install, pending-upgrade, pending-rollback, superseded, uninstalling, ... */
  status: string;
  /** `<name>-<version>` */
  chart: string;
  /** When this revision's install, upgrade or rollback started. */
  updatedAt?: number;
  workloads: ReleaseWorkload[];
}

export interface ReleaseWorkload {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  namespace: string;
  name: string;
  containers: Array<{ name: string; image: string }>;
  imagePullSecrets: string[];
}

export interface LiveWorkload {
  containers: Array<{ name: string; image: string }>;
  imagePullSecrets: string[];
  /** available/ready replicas >= desired */
  healthy: boolean;
}

/**
 * `undefined`: the workload does not exist, which is drift (a partial apply).
 * `null`: robosre cannot see it (a namespace it does not watch), which proves nothing either way.
 */
export type LiveLookup = (kind: ReleaseWorkload['kind'], namespace: string, name: string) => LiveWorkload | null | undefined;

export interface ReleaseSettings {
  /** A release pending longer than this is stuck: an install or upgrade in progress is briefly pending. */
  releasePendingAfterMs: number;
}

/** One difference between a release and the cluster; `missing` alone means the workload, with `container` that container. */
export interface ReleaseDrift {
  kind: ReleaseWorkload['kind'];
  namespace: string;
  name: string;
  container?: string;
  live?: string;
  desired?: string;
  missingPullSecret?: string;
  missing?: true;
}

const TYPE = 'release_drift_or_partial_apply';
const MAX_SUMMARY = 500;
const MAX_EVIDENCE = 20;
const MAX_TEXT = 300;
const MAX_STATUS = 60;

/** Their manifest is not what should run: an older revision, or a release being removed. */
const NOT_INTENDED = new Set(['superseded', 'uninstalling', 'uninstalled']);

const pendingStatus = (release: HelmReleaseView): boolean => release.status.trim().toLowerCase().startsWith('pending-');

const startedAt = (release: HelmReleaseView): number | undefined => (Number.isFinite(release.updatedAt) ? release.updatedAt : undefined);

/** When a pending release will have been pending long enough, so the runner can set a timer; null when it is not pending or has no start time (then it counts as stuck already). */
export function releasePendingDeadline(release: HelmReleaseView, settings: ReleaseSettings): number | null {
  const since = startedAt(release);
  return pendingStatus(release) && since !== undefined ? since + settings.releasePendingAfterMs : null;
}

/** Splits `repo[:tag][@digest]`; a colon before the last slash is a registry port, not a tag. */
function splitImage(ref: string): { repo: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  const base = at < 0 ? ref : ref.slice(0, at);
  const digest = at < 0 ? undefined : ref.slice(at + 1);
  const colon = base.lastIndexOf(':');
  const tagged = colon > base.lastIndexOf('/');
  return { repo: tagged ? base.slice(0, colon) : base, ...(tagged ? { tag: base.slice(colon + 1) } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Docker Hub's implicit registry, `library/` and `latest` spelled out, so `nginx` and `docker.io/library/nginx:latest` are the same image. */
function canonical(ref: string): { name: string; tag?: string; digest?: string } {
  const { repo, tag, digest } = splitImage(ref);
  const slash = repo.indexOf('/');
  const first = slash < 0 ? '' : repo.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  const registry = !hasRegistry || first === 'index.docker.io' ? 'docker.io' : first;
  const path = hasRegistry ? repo.slice(slash + 1) : repo;
  return {
    name: `${registry}/${registry === 'docker.io' && !path.includes('/') ? `library/${path}` : path}`,
    ...(tag !== undefined || digest === undefined ? { tag: tag ?? 'latest' } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

function sameImage(live: string, desired: string): boolean {
  const l = canonical(live);
  const d = canonical(desired);
  if (l.name !== d.name) return false;
  // Admission policies pin a tag to its digest (Kyverno's mutateDigest) without changing what runs.
  return d.digest !== undefined ? l.digest === d.digest : l.tag === d.tag;
}

/** `registry/api:1.1` next to `registry/api:1.0` reads better as `:1.1`. */
function wanted(live: string, desired: string): string {
  const repo = splitImage(desired).repo;
  return repo === splitImage(live).repo && desired.length > repo.length ? desired.slice(repo.length) : desired;
}

function compare(release: HelmReleaseView, live: LiveLookup): { drift: ReleaseDrift[]; unhealthy: Array<Pick<ReleaseDrift, 'kind' | 'namespace' | 'name'>>; unseen: number } {
  const drift: ReleaseDrift[] = [];
  const unhealthy: Array<Pick<ReleaseDrift, 'kind' | 'namespace' | 'name'>> = [];
  let unseen = 0;
  for (const w of release.workloads) {
    const ref = { kind: w.kind, namespace: w.namespace, name: w.name };
    const running = live(w.kind, w.namespace, w.name);
    if (running === null) {
      unseen++;
      continue;
    }
    if (running === undefined) {
      drift.push({ ...ref, missing: true });
      continue;
    }
    if (!running.healthy) unhealthy.push(ref);
    const images = new Map(running.containers.map((c) => [c.name, c.image]));
    // Containers the release does not name (injected sidecars) are not drift.
    for (const c of w.containers) {
      const image = images.get(c.name);
      if (image === undefined) drift.push({ ...ref, container: c.name, desired: c.image, missing: true });
      else if (!sameImage(image, c.image)) drift.push({ ...ref, container: c.name, live: image, desired: c.image });
    }
    const secrets = new Set(running.imagePullSecrets);
    for (const s of w.imagePullSecrets) if (!secrets.has(s)) drift.push({ ...ref, missingPullSecret: s });
  }
  return { drift, unhealthy, unseen };
}

function phrase(d: ReleaseDrift): string {
  const where = `${d.kind.toLowerCase()} ${d.namespace}/${d.name}`;
  if (d.missingPullSecret !== undefined) return `${where} lacks imagePullSecret ${clip(d.missingPullSecret, MAX_TEXT)}`;
  if (d.container === undefined) return `${where} is missing`;
  const desired = clip(d.desired ?? '', MAX_TEXT);
  if (d.live === undefined) return `${where} has no container ${d.container} (the release wants ${desired})`;
  return `${where} container ${d.container} runs ${clip(d.live, MAX_TEXT)} but the release wants ${clip(wanted(d.live, d.desired ?? ''), MAX_TEXT)}`;
}

/** As many parts as fit in one bounded line, then how many were left out. */
function summarize(head: string, parts: readonly string[]): string {
  const full = `${head}: ${parts.join('; ')}`;
  if (full.length <= MAX_SUMMARY) return full;
  let out = `${head}:`;
  let shown = 0;
  for (const part of parts) {
    if (out.length + 2 + part.length + `; and ${parts.length - shown - 1} more`.length > MAX_SUMMARY) break;
    out += `${shown === 0 ? ' ' : '; '}${part}`;
    shown++;
  }
  return shown === 0 ? clip(full, MAX_SUMMARY) : `${out}; and ${parts.length - shown} more`;
}

const clipDrift = (d: ReleaseDrift): ReleaseDrift => ({
  ...d,
  ...(d.live !== undefined ? { live: clip(d.live, MAX_TEXT) } : {}),
  ...(d.desired !== undefined ? { desired: clip(d.desired, MAX_TEXT) } : {}),
  ...(d.missingPullSecret !== undefined ? { missingPullSecret: clip(d.missingPullSecret, MAX_TEXT) } : {}),
});

export function releaseVerdicts(release: HelmReleaseView, live: LiveLookup, now: number, settings: ReleaseSettings): Verdict[] {
  const status = release.status.trim().toLowerCase();
  const pending = pendingStatus(release);
  const since = startedAt(release);
  const pendingFor = pending && since !== undefined ? now - since : undefined;
  const stuck = pending && (pendingFor === undefined || pendingFor >= settings.releasePendingAfterMs);
  // A young pending revision is still being applied: its workloads are meant to differ for now.
  if (NOT_INTENDED.has(status) || (pending && !stuck)) return [{ incidentType: TYPE, firing: false }];
  const { drift, unhealthy, unseen } = compare(release, live);
  const statusSign = status === 'failed' || stuck;
  if (!statusSign && drift.length === 0) return [{ incidentType: TYPE, firing: false }];

  const missingWorkload = drift.some((d) => d.missing && d.container === undefined);
  // The taxonomy's primary evidence, each an independent sign: Helm's status, images, pull secrets; and a partial apply.
  const signs = [statusSign, drift.some((d) => d.container !== undefined), drift.some((d) => d.missingPullSecret !== undefined), missingWorkload].filter(Boolean).length;
  const severity: Severity = missingWorkload || unhealthy.length > 0 ? 'critical' : 'warning';
  const confidence: Confidence = signs >= 2 ? 'high' : 'medium';
  const shownStatus = clip(release.status, MAX_STATUS);
  const pendingPhrase = pendingFor === undefined ? ' since an unknown time' : ` for ${Math.round(pendingFor / 60_000)} min`;
  const statusPart = statusSign ? [`status ${shownStatus}${pending ? pendingPhrase : ''}`] : [];
  const parts = [...statusPart, ...drift.map(phrase), ...unhealthy.map((u) => `${u.kind.toLowerCase()} ${u.namespace}/${u.name} is not healthy`)];
  return [
    {
      incidentType: TYPE,
      firing: true,
      // Each new revision that fails or drifts is another occurrence of the same release's incident.
      count: release.revision,
      severity,
      confidence,
      summary: summarize(`release ${release.namespace}/${release.name} (${release.chart}, revision ${release.revision})`, parts),
      evidence: {
        status: shownStatus,
        revision: release.revision,
        chart: release.chart,
        ...(pending ? { pendingForMs: pendingFor ?? null } : {}),
        drift: drift.slice(0, MAX_EVIDENCE).map(clipDrift),
        driftCount: drift.length,
        unhealthy: unhealthy.slice(0, MAX_EVIDENCE),
        unhealthyCount: unhealthy.length,
        unseenWorkloads: unseen,
      },
    },
  ];
}
