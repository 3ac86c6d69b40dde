/**
 * Helm 3 release Secrets and live workloads → the release detector's views.
 * Helm keeps each revision in a Secret of type `helm.sh/release.v1` named
 * `sh.helm.release.v1.<release>.v<revision>`; `data.release` is the release
 * JSON gzipped and base64-encoded by Helm, then base64-encoded again by
 * Kubernetes. Every field is read defensively: an odd Secret is an error
 * naming it, never a crash of the watch.
 */
import { gunzipSync } from 'node:zlib';
import type * as k8s from '@kubernetes/client-node';
import { parseAllDocuments, type Document } from 'yaml';
import type { HelmReleaseView, LiveWorkload, ReleaseWorkload } from '../../src/detectors/kubernetes/helm.js';

/** Far above any real release (a Secret holds 1 MiB compressed), low enough that a gzip bomb cannot exhaust memory. */
const MAX_RELEASE_BYTES = 32 * 1024 * 1024;
/** A chart rendering more workloads than this is not one anybody compares by hand either; the rest are not read. */
const MAX_WORKLOADS = 500;

const WORKLOAD_KINDS: ReadonlySet<string> = new Set<ReleaseWorkload['kind']>(['Deployment', 'StatefulSet', 'DaemonSet']);

export class HelmReleaseDecodeError extends Error {
  constructor(
    /** `<namespace>/<name>` of the Secret. */
    readonly secret: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`helm release secret ${secret}: ${problem}`, options);
    this.name = 'HelmReleaseDecodeError';
  }
}

type Json = Record<string, unknown>;
const record = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Go writes an unset time as year 1, which is no time at all. */
const time = (value: unknown): number | undefined => {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Node's decoder skips what is not base64 instead of refusing it, so the alphabet is checked first. */
const base64 = (s: string): Buffer | undefined => (s.length % 4 === 0 && BASE64.test(s) ? Buffer.from(s, 'base64') : undefined);

/** What the Secret holds, as the release JSON; Helm gunzips only when the gzip magic is there, and so does this. */
function releaseJson(data: string, fail: (problem: string, cause?: unknown) => HelmReleaseDecodeError): string {
  const helmEncoded = base64(data);
  if (!helmEncoded) throw fail('data.release is not base64');
  const packed = base64(helmEncoded.toString('latin1'));
  if (!packed) throw fail('the release inside data.release is not base64');
  if (packed[0] !== 0x1f || packed[1] !== 0x8b) return packed.toString('utf8');
  try {
    return gunzipSync(packed, { maxOutputLength: MAX_RELEASE_BYTES }).toString('utf8');
  } catch (cause) {
    throw fail('the release does not gunzip', cause);
  }
}

function containersOf(podSpec: Json | undefined): Array<{ name: string; image: string }> {
  return list(podSpec?.containers).flatMap((c) => {
    const name = text(record(c)?.name);
    const image = text(record(c)?.image);
    return name !== undefined && image !== undefined ? [{ name, image }] : [];
  });
}

const pullSecretsOf = (podSpec: Json | undefined): string[] => list(podSpec?.imagePullSecrets).flatMap((s) => text(record(s)?.name) ?? []);

/** A `---` line starts a YAML document wherever it is, even inside a block scalar. */
const DOCUMENT_START = /^(?=---(?:[ \t]|$))/m;
const NAMES_WORKLOAD = /Deployment|StatefulSet|DaemonSet/;

/**
 * The Deployments, StatefulSets and DaemonSets the chart rendered; documents that do not parse are skipped, not fatal.
 * Parsing every document of a big chart (dashboards in ConfigMaps) takes seconds on the watch's thread, so documents
 * that never spell a workload kind are left unparsed.
 */
function workloadsOf(manifest: string, namespace: string): ReleaseWorkload[] {
  const out: ReleaseWorkload[] = [];
  for (const chunk of manifest.split(DOCUMENT_START)) {
    if (!NAMES_WORKLOAD.test(chunk)) continue;
    for (const doc of parseAllDocuments(chunk)) {
      const workload = workloadOf(doc, namespace);
      if (workload) out.push(workload);
      if (out.length >= MAX_WORKLOADS) return out;
    }
  }
  return out;
}

function workloadOf(doc: Document.Parsed, namespace: string): ReleaseWorkload | undefined {
  if (doc.errors.length > 0) return undefined;
  let obj: Json | undefined;
  try {
    obj = record(doc.toJS());
  } catch {
    // An alias bomb or an unresolvable alias: that document is unreadable, the others may not be.
    return undefined;
  }
  const kind = text(obj?.kind);
  const metadata = record(obj?.metadata);
  const name = text(metadata?.name);
  if (obj?.apiVersion !== 'apps/v1' || kind === undefined || !WORKLOAD_KINDS.has(kind) || name === undefined) return undefined;
  const podSpec = record(record(record(obj.spec)?.template)?.spec);
  return {
    kind: kind as ReleaseWorkload['kind'],
    namespace: text(metadata?.namespace) ?? namespace,
    name,
    // Init containers are left out: they have exited before anything serves, and meshes inject their own.
    containers: containersOf(podSpec),
    imagePullSecrets: pullSecretsOf(podSpec),
  };
}

export function decodeHelmRelease(secret: k8s.V1Secret): HelmReleaseView {
  const where = `${secret.metadata?.namespace ?? '(no namespace)'}/${secret.metadata?.name ?? '(unnamed)'}`;
  const fail = (problem: string, cause?: unknown) => new HelmReleaseDecodeError(where, problem, cause === undefined ? undefined : { cause });
  const data = text(record(secret.data)?.release);
  if (data === undefined) throw fail('no data.release');
  const json = releaseJson(data, fail);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw fail('the release is not JSON', cause);
  }
  const release = record(parsed);
  if (!release) throw fail('the release is not a JSON object');
  const info = record(release.info);
  const chart = record(record(release.chart)?.metadata);
  const name = text(release.name);
  const status = text(info?.status);
  const version = release.version;
  const revision = typeof version === 'number' && Number.isInteger(version) && version > 0 ? version : undefined;
  const chartName = text(chart?.name);
  const chartVersion = text(chart?.version);
  const missing = [
    name === undefined && 'name',
    revision === undefined && 'version',
    status === undefined && 'info.status',
    chartName === undefined && 'chart.metadata.name',
    chartVersion === undefined && 'chart.metadata.version',
  ].filter((m): m is string => m !== false);
  if (name === undefined || revision === undefined || status === undefined || chartName === undefined || chartVersion === undefined) throw fail(`the release has no ${missing.join(', ')}`);
  // Helm omits an empty namespace and manifest; the Secret lives in the release's namespace.
  const namespace = text(release.namespace) ?? text(secret.metadata?.namespace) ?? 'default';
  // Helm creates a revision's Secret as the operation starts, so its creation stands in for an unset deploy time.
  const updatedAt = time(info?.last_deployed) ?? time(secret.metadata?.creationTimestamp);
  return {
    namespace,
    name,
    revision,
    status,
    chart: `${chartName}-${chartVersion}`,
    ...(updatedAt !== undefined ? { updatedAt } : {}),
    workloads: workloadsOf(text(release.manifest) ?? '', namespace),
  };
}

type AppsWorkload = k8s.V1Deployment | k8s.V1StatefulSet | k8s.V1DaemonSet;

/** A LIST leaves `kind` off its items, so an informer's objects may not say what they are; fields only one kind has tell. */
function kindOf(obj: AppsWorkload): ReleaseWorkload['kind'] {
  if (obj.kind !== undefined && WORKLOAD_KINDS.has(obj.kind)) return obj.kind as ReleaseWorkload['kind'];
  const spec = record(obj.spec);
  if (record(obj.status)?.desiredNumberScheduled !== undefined) return 'DaemonSet';
  if (spec?.serviceName !== undefined || spec?.podManagementPolicy !== undefined || spec?.volumeClaimTemplates !== undefined) return 'StatefulSet';
  return 'Deployment';
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function liveWorkload(obj: AppsWorkload): LiveWorkload {
  const spec = record(obj.spec);
  const status = record(obj.status);
  const podSpec = record(record(spec?.template)?.spec);
  const desired = typeof spec?.replicas === 'number' ? spec.replicas : 1;
  const kind = kindOf(obj);
  const healthy =
    kind === 'DaemonSet'
      ? count(status?.numberAvailable) >= count(status?.desiredNumberScheduled)
      : count(kind === 'StatefulSet' ? status?.readyReplicas : status?.availableReplicas) >= desired;
  return { containers: containersOf(podSpec), imagePullSecrets: pullSecretsOf(podSpec), healthy };
}
