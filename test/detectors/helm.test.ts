/** Helm release Secrets decoded, and releases judged against the live workloads. */
import { gzipSync } from 'node:zlib';
import type * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { decodeHelmRelease, HelmReleaseDecodeError, liveWorkload } from '../../adapters/kubernetes/helm-release.js';
import { releasePendingDeadline, releaseVerdicts } from '../../src/detectors/kubernetes/helm.js';
import type { HelmReleaseView, LiveLookup, LiveWorkload, ReleaseWorkload } from '../../src/detectors/kubernetes/helm.js';

const NOW = Date.parse('2026-11-23T10:00:00Z');
const S = { releasePendingAfterMs: 10 * 60_000 };
const SECRET = 'sh.helm.release.v1.web.v7';

const MANIFEST = `---
# Source: web/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web
  labels:
    app.kubernetes.io/instance: web
spec:
  ports:
    - port: 80
      targetPort: http
  selector:
    app: web
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/managed-by: Helm
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      imagePullSecrets:
        - name: regcred
      initContainers:
        - name: migrate
          image: "registry.example.com/migrate:1.1"
      containers:
        - name: api
          image: "registry.example.com/api:1.1"
          ports:
            - name: http
              containerPort: 8080
        - name: proxy
          image: envoyproxy/envoy:v1.31.0
---
# Source: web/templates/statefulset.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: cache
  namespace: data
spec:
  serviceName: cache
  replicas: 1
  selector:
    matchLabels:
      app: cache
  template:
    metadata:
      labels:
        app: cache
    spec:
      containers:
        - name: redis
          image: redis:7.4
`;

const helmRelease = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'web',
  namespace: 'shop',
  version: 7,
  info: { first_deployed: '2026-11-01T08:00:00Z', last_deployed: '2026-11-23T09:55:00.123456789Z', deleted: '', description: 'Upgrade complete', status: 'deployed' },
  chart: {
    metadata: { apiVersion: 'v2', name: 'web', version: '1.2.0', appVersion: '1.1', type: 'application' },
    lock: null,
    templates: [{ name: 'templates/deployment.yaml', data: Buffer.from('kind: Deployment').toString('base64') }],
    values: { image: { tag: '1.1' } },
    schema: null,
    files: [],
  },
  config: { image: { tag: '1.1' } },
  manifest: MANIFEST,
  ...extra,
});

/** The Secret exactly as Helm writes it: JSON, gzipped, base64; then Kubernetes' own base64 of that. */
function helmSecret(release: unknown, opts: { gzip?: boolean; helmEncoded?: string; data?: Record<string, string> } = {}): k8s.V1Secret {
  const json = Buffer.from(JSON.stringify(release));
  const helmEncoded = opts.helmEncoded ?? (opts.gzip === false ? json : gzipSync(json, { level: 9 })).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'helm.sh/release.v1',
    metadata: { name: SECRET, namespace: 'shop', creationTimestamp: new Date('2026-11-23T09:55:01Z'), labels: { owner: 'helm', name: 'web', status: 'deployed', version: '7' } },
    data: opts.data ?? { release: Buffer.from(helmEncoded).toString('base64') },
  };
}

const workload = (extra: Partial<ReleaseWorkload> = {}): ReleaseWorkload => ({
  kind: 'Deployment',
  namespace: 'shop',
  name: 'web',
  containers: [{ name: 'api', image: 'registry.example.com/api:1.1' }],
  imagePullSecrets: ['regcred'],
  ...extra,
});

const release = (extra: Partial<HelmReleaseView> = {}): HelmReleaseView => ({
  namespace: 'shop',
  name: 'web',
  revision: 7,
  status: 'deployed',
  chart: 'web-1.2.0',
  updatedAt: NOW - 60 * 60_000,
  workloads: [workload()],
  ...extra,
});

const running = (extra: Partial<LiveWorkload> = {}): LiveWorkload => ({ containers: [{ name: 'api', image: 'registry.example.com/api:1.1' }], imagePullSecrets: ['regcred'], healthy: true, ...extra });

/** The cluster as a table keyed `Kind/namespace/name`; anything not in it does not exist. */
const cluster =
  (objects: Record<string, LiveWorkload | null>): LiveLookup =>
  (kind, namespace, name) =>
    objects[`${kind}/${namespace}/${name}`];

const matching = cluster({ 'Deployment/shop/web': running() });
const only = (r: HelmReleaseView, live: LiveLookup, now = NOW) => {
  const vs = releaseVerdicts(r, live, now, S);
  expect(vs).toHaveLength(1);
  expect(vs[0]!.incidentType).toBe('release_drift_or_partial_apply');
  return vs[0]!;
};

describe('decodeHelmRelease', () => {
  it('decodes a gzipped Helm 3 release Secret with its rendered workloads', () => {
    const view = decodeHelmRelease(helmSecret(helmRelease()));
    expect(view).toEqual({
      namespace: 'shop',
      name: 'web',
      revision: 7,
      status: 'deployed',
      chart: 'web-1.2.0',
      updatedAt: Date.parse('2026-11-23T09:55:00.123Z'),
      workloads: [
        {
          kind: 'Deployment',
          namespace: 'shop',
          name: 'web',
          containers: [
            { name: 'api', image: 'registry.example.com/api:1.1' },
            { name: 'proxy', image: 'envoyproxy/envoy:v1.31.0' },
          ],
          imagePullSecrets: ['regcred'],
        },
        { kind: 'StatefulSet', namespace: 'data', name: 'cache', containers: [{ name: 'redis', image: 'redis:7.4' }], imagePullSecrets: [] },
      ],
    });
  });

  it('accepts a release Helm stored without gzip', () => {
    expect(decodeHelmRelease(helmSecret(helmRelease(), { gzip: false })).workloads.map((w) => w.name)).toEqual(['web', 'cache']);
  });

  it('takes only apps/v1 workloads, skips documents that do not parse, and keeps the rest', () => {
    const manifest = [
      'apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: ancient\n',
      'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  template:\n    spec:\n      containers:\n        - name: agent\n          image: agent:2\n        - name: no-image\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: broken\nspec: [',
      'apiVersion: apps/v1\nkind: Deployment\nspec: {}\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: &m\n  name: *undefined\n',
      'apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  template:\n    spec:\n      containers: not-a-list\n      imagePullSecrets: [{name: pull}, 7, {}]\n',
    ].join('---\n');
    const view = decodeHelmRelease(helmSecret(helmRelease({ manifest })));
    expect(view.workloads).toEqual([
      { kind: 'DaemonSet', namespace: 'shop', name: 'agent', containers: [{ name: 'agent', image: 'agent:2' }], imagePullSecrets: [] },
      { kind: 'StatefulSet', namespace: 'shop', name: 'db', containers: [], imagePullSecrets: ['pull'] },
    ]);
  });

  it('reads at most 500 workloads from a huge manifest', () => {
    const manifest = Array.from({ length: 600 }, (_, i) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w${i}\n`).join('---\n');
    const view = decodeHelmRelease(helmSecret(helmRelease({ manifest })));
    expect(view.workloads).toHaveLength(500);
    expect(view.workloads[499]!.name).toBe('w499');
  });

  it('tolerates what Helm omits: an empty manifest and namespace, and an unset (year 1) deploy time', () => {
    const bare = helmRelease({ info: { status: 'pending-install', last_deployed: '0001-01-01T00:00:00Z' } });
    delete bare.manifest;
    delete bare.namespace;
    const view = decodeHelmRelease(helmSecret(bare));
    expect(view).toMatchObject({ namespace: 'shop', status: 'pending-install', workloads: [], updatedAt: Date.parse('2026-11-23T09:55:01Z') });
  });

  const cases: Array<[string, k8s.V1Secret, RegExp, boolean]> = [
    ['no data', { ...helmSecret(helmRelease()), data: undefined }, /no data\.release/, false],
    ['no release key', helmSecret(helmRelease(), { data: { other: 'eA==' } }), /no data\.release/, false],
    ['an empty release', helmSecret(helmRelease(), { data: { release: '' } }), /no data\.release/, false],
    ['bad Kubernetes base64', helmSecret(helmRelease(), { data: { release: 'not base64!' } }), /: data\.release is not base64$/, false],
    ['Kubernetes base64 cut short', helmSecret(helmRelease(), { data: { release: 'abcde' } }), /: data\.release is not base64$/, false],
    ['Kubernetes base64 of the right length with a foreign character', helmSecret(helmRelease(), { data: { release: 'ab!d' } }), /: data\.release is not base64$/, false],
    ['bad Helm base64', helmSecret(helmRelease(), { helmEncoded: '{"name":"web"}' }), /inside data\.release is not base64/, false],
    ['bad gzip', helmSecret(helmRelease(), { helmEncoded: Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]).toString('base64') }), /does not gunzip/, true],
    ['a gzip bomb', helmSecret(helmRelease(), { helmEncoded: gzipSync(Buffer.alloc(33 * 1024 * 1024, 0x20)).toString('base64') }), /does not gunzip/, true],
    ['bad JSON', helmSecret(helmRelease(), { helmEncoded: gzipSync('{"name": "web",').toString('base64') }), /not JSON/, true],
    ['JSON that is not an object', helmSecret([helmRelease()]), /not a JSON object/, false],
    ['no name', helmSecret(helmRelease({ name: undefined })), /has no name$/, false],
    ['a revision that is not a number', helmSecret(helmRelease({ version: '7' })), /has no version$/, false],
    ['no status', helmSecret(helmRelease({ info: { last_deployed: '2026-11-23T09:55:00Z' } })), /has no info\.status$/, false],
    ['no chart', helmSecret(helmRelease({ chart: undefined })), /has no chart\.metadata\.name, chart\.metadata\.version$/, false],
  ];
  for (const [what, secret, message, caused] of cases) {
    it(`refuses ${what} with a HelmReleaseDecodeError naming the Secret`, () => {
      let error: unknown;
      try {
        decodeHelmRelease(secret);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HelmReleaseDecodeError);
      const e = error as HelmReleaseDecodeError;
      expect(e.message).toContain(`shop/${SECRET}`);
      expect(e.message).toMatch(message);
      expect(e.secret).toBe(`shop/${SECRET}`);
      expect(e.cause !== undefined).toBe(caused);
    });
  }

  it('names a Secret without metadata instead of crashing on it', () => {
    expect(() => decodeHelmRelease({ data: {} })).toThrow('helm release secret (no namespace)/(unnamed): no data.release');
  });
});

describe('liveWorkload', () => {
  const podTemplate = { selector: {}, template: { spec: { containers: [{ name: 'api', image: 'registry.example.com/api:1.0' }], imagePullSecrets: [{ name: 'regcred' }] } } };

  it('reads containers and pull secrets, and a Deployment is healthy with its replicas available', () => {
    const d: k8s.V1Deployment = { kind: 'Deployment', spec: { ...podTemplate, replicas: 3 }, status: { availableReplicas: 3, readyReplicas: 3 } };
    expect(liveWorkload(d)).toEqual({ containers: [{ name: 'api', image: 'registry.example.com/api:1.0' }], imagePullSecrets: ['regcred'], healthy: true });
    expect(liveWorkload({ ...d, status: { availableReplicas: 2, readyReplicas: 3 } }).healthy).toBe(false);
    expect(liveWorkload({ ...d, spec: { ...podTemplate }, status: {} }).healthy).toBe(false);
    expect(liveWorkload({ ...d, spec: { ...podTemplate, replicas: 0 }, status: {} }).healthy).toBe(true);
  });

  it('counts ready replicas for a StatefulSet and available pods for a DaemonSet, also when a LIST left kind off', () => {
    const sts: k8s.V1StatefulSet = { spec: { ...podTemplate, serviceName: 'db', replicas: 2 }, status: { replicas: 2, readyReplicas: 2 } };
    expect(liveWorkload(sts).healthy).toBe(true);
    expect(liveWorkload({ ...sts, kind: 'StatefulSet', status: { replicas: 2, readyReplicas: 1, availableReplicas: 2 } }).healthy).toBe(false);
    const ds: k8s.V1DaemonSet = { spec: { ...podTemplate }, status: { currentNumberScheduled: 3, desiredNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3, numberAvailable: 3 } };
    expect(liveWorkload(ds).healthy).toBe(true);
    expect(liveWorkload({ ...ds, status: { currentNumberScheduled: 3, desiredNumberScheduled: 3, numberMisscheduled: 0, numberReady: 2, numberAvailable: 2 } }).healthy).toBe(false);
  });

  it('never throws on an object with nothing in it', () => {
    expect(liveWorkload({})).toEqual({ containers: [], imagePullSecrets: [], healthy: false });
    const odd = { spec: { template: { spec: { containers: 'x', imagePullSecrets: [null] } } } } as unknown as k8s.V1Deployment;
    expect(liveWorkload(odd)).toMatchObject({ containers: [], imagePullSecrets: [] });
  });
});

describe('releaseVerdicts', () => {
  it('does not fire for a deployed release whose workloads match, nor for an older revision', () => {
    expect(releaseVerdicts(release(), matching, NOW, S)).toEqual([{ incidentType: 'release_drift_or_partial_apply', firing: false }]);
    // A superseded revision's manifest is history: what runs now is meant to differ from it.
    expect(only(release({ status: 'superseded' }), cluster({})).firing).toBe(false);
    expect(only(release({ status: 'uninstalled' }), cluster({})).firing).toBe(false);
  });

  it('fires on a failed release even when its workloads match', () => {
    const v = only(release({ status: 'failed' }), matching);
    expect(v).toMatchObject({ firing: true, severity: 'warning', confidence: 'medium', count: 7 });
    expect(v.summary).toBe('release shop/web (web-1.2.0, revision 7): status failed');
    expect(v.evidence).toMatchObject({ status: 'failed', revision: 7, chart: 'web-1.2.0', drift: [], driftCount: 0 });
  });

  it('gives a pending upgrade its grace period, and fires once it has hung longer', () => {
    const young = release({ status: 'pending-upgrade', updatedAt: NOW - S.releasePendingAfterMs + 1, workloads: [workload({ containers: [{ name: 'api', image: 'registry.example.com/api:1.2' }] })] });
    // Mid-upgrade the images differ by design: not drift yet.
    expect(only(young, matching).firing).toBe(false);
    const v = only(young, matching, NOW + 1);
    expect(v).toMatchObject({ firing: true, confidence: 'high', evidence: { pendingForMs: S.releasePendingAfterMs } });
    expect(v.summary).toContain('status pending-upgrade for 10 min');
    expect(only(release({ status: 'pending-rollback', updatedAt: undefined }), matching).summary).toContain('status pending-rollback since an unknown time');
  });

  it('computes when a pending release will have hung long enough', () => {
    expect(releasePendingDeadline(release({ status: 'pending-install', updatedAt: NOW }), S)).toBe(NOW + S.releasePendingAfterMs);
    expect(releasePendingDeadline(release({ status: 'deployed', updatedAt: NOW }), S)).toBeNull();
    expect(releasePendingDeadline(release({ status: 'failed', updatedAt: NOW }), S)).toBeNull();
    // Without a start time it is stuck already: nothing to wait for.
    expect(releasePendingDeadline(release({ status: 'pending-upgrade', updatedAt: undefined }), S)).toBeNull();
    expect(releasePendingDeadline(release({ status: 'pending-upgrade', updatedAt: Number.NaN }), S)).toBeNull();
  });

  it('names an image that differs from the release, per container', () => {
    const live = cluster({ 'Deployment/shop/web': running({ containers: [{ name: 'api', image: 'registry.example.com/api:1.0' }, { name: 'istio-proxy', image: 'istio/proxyv2:1.24' }] }) });
    const v = only(release(), live);
    expect(v).toMatchObject({ firing: true, severity: 'warning', confidence: 'medium' });
    expect(v.summary).toBe('release shop/web (web-1.2.0, revision 7): deployment shop/web container api runs registry.example.com/api:1.0 but the release wants :1.1');
    expect(v.evidence!.drift).toEqual([{ kind: 'Deployment', namespace: 'shop', name: 'web', container: 'api', live: 'registry.example.com/api:1.0', desired: 'registry.example.com/api:1.1' }]);
    const gone = only(release(), cluster({ 'Deployment/shop/web': running({ containers: [] }) }));
    expect(gone.summary).toContain('deployment shop/web has no container api (the release wants registry.example.com/api:1.1)');
  });

  it('takes the same image spelled another way, or pinned to its digest, as no drift', () => {
    const spelled = (live: string, desired: string) =>
      only(release({ workloads: [workload({ containers: [{ name: 'api', image: desired }] })] }), cluster({ 'Deployment/shop/web': running({ containers: [{ name: 'api', image: live }] }) })).firing;
    expect(spelled('docker.io/library/nginx:latest', 'nginx')).toBe(false);
    expect(spelled('index.docker.io/bitnami/redis:7', 'bitnami/redis:7')).toBe(false);
    expect(spelled('registry.example.com/api:1.1@sha256:abc', 'registry.example.com/api:1.1')).toBe(false);
    expect(spelled('registry.example.com/api:1.1@sha256:abc', 'registry.example.com/api@sha256:abc')).toBe(false);
    expect(spelled('registry.example.com:5000/api:1.1', 'registry.example.com:5000/api')).toBe(true);
    expect(spelled('registry.example.com/api:1.1@sha256:def', 'registry.example.com/api@sha256:abc')).toBe(true);
    expect(spelled('mirror.example.com/library/nginx:1.27', 'nginx:1.27')).toBe(true);
  });

  it('names an imagePullSecret the live workload lacks, and ignores extra ones', () => {
    const v = only(release(), cluster({ 'Deployment/shop/web': running({ imagePullSecrets: ['other'] }) }));
    expect(v.summary).toBe('release shop/web (web-1.2.0, revision 7): deployment shop/web lacks imagePullSecret regcred');
    expect(v.evidence!.drift).toEqual([{ kind: 'Deployment', namespace: 'shop', name: 'web', missingPullSecret: 'regcred' }]);
    expect(only(release(), cluster({ 'Deployment/shop/web': running({ imagePullSecrets: ['regcred', 'extra'] }) })).firing).toBe(false);
  });

  it('calls a release workload that does not exist a partial apply, but not one robosre cannot see', () => {
    const r = release({ workloads: [workload(), workload({ kind: 'StatefulSet', namespace: 'data', name: 'cache', containers: [], imagePullSecrets: [] })] });
    const v = only(r, matching);
    expect(v).toMatchObject({ firing: true, severity: 'critical', confidence: 'medium' });
    expect(v.summary).toBe('release shop/web (web-1.2.0, revision 7): statefulset data/cache is missing');
    expect(v.evidence!.drift).toEqual([{ kind: 'StatefulSet', namespace: 'data', name: 'cache', missing: true }]);
    const unwatched = only(r, cluster({ 'Deployment/shop/web': running(), 'StatefulSet/data/cache': null }));
    expect(unwatched.firing).toBe(false);
    expect(only({ ...r, status: 'failed' }, cluster({ 'Deployment/shop/web': running(), 'StatefulSet/data/cache': null })).evidence).toMatchObject({ unseenWorkloads: 1 });
  });

  it('is a warning while workloads are healthy, critical when they are not', () => {
    const drifted = running({ imagePullSecrets: [] });
    expect(only(release(), cluster({ 'Deployment/shop/web': drifted })).severity).toBe('warning');
    const sick = only(release(), cluster({ 'Deployment/shop/web': { ...drifted, healthy: false } }));
    expect(sick.severity).toBe('critical');
    expect(sick.summary).toContain('; deployment shop/web is not healthy');
    expect(sick.evidence).toMatchObject({ unhealthy: [{ kind: 'Deployment', namespace: 'shop', name: 'web' }], unhealthyCount: 1 });
    expect(only(release({ status: 'failed' }), cluster({ 'Deployment/shop/web': running({ healthy: false }) })).severity).toBe('critical');
    // An unhealthy workload of a healthy, matching release is the replicas detector's business, not drift.
    expect(only(release(), cluster({ 'Deployment/shop/web': running({ healthy: false }) })).firing).toBe(false);
  });

  it('is sure with two independent signs, not with one sign seen twice', () => {
    const images = running({ containers: [{ name: 'api', image: 'registry.example.com/api:1.0' }] });
    const failedAndImages = only(release({ status: 'failed' }), cluster({ 'Deployment/shop/web': { ...images, imagePullSecrets: [] } }));
    expect(failedAndImages.confidence).toBe('high');
    expect(failedAndImages.summary).toBe(
      'release shop/web (web-1.2.0, revision 7): status failed; deployment shop/web container api runs registry.example.com/api:1.0 but the release wants :1.1; deployment shop/web lacks imagePullSecret regcred',
    );
    expect(only(release({ status: 'failed' }), cluster({ 'Deployment/shop/web': images })).confidence).toBe('high');
    expect(only(release(), cluster({ 'Deployment/shop/web': { ...images, imagePullSecrets: [] } })).confidence).toBe('high');
    const twoImages = release({ workloads: [workload({ containers: [{ name: 'api', image: 'a:2' }, { name: 'worker', image: 'b:2' }] })] });
    expect(only(twoImages, cluster({ 'Deployment/shop/web': running({ containers: [{ name: 'api', image: 'a:1' }, { name: 'worker', image: 'b:1' }] }) })).confidence).toBe('medium');
  });

  it('keeps the summary and the evidence bounded with 1000 drifting containers', () => {
    const containers = Array.from({ length: 1000 }, (_, i) => ({ name: `c${i}`, image: `registry.example.com/team/service-${i}:2.0.0` }));
    const live = running({ containers: containers.map((c) => ({ ...c, image: c.image.replace(':2.0.0', ':1.0.0') })) });
    const v = only(release({ status: 'failed', workloads: [workload({ containers })] }), cluster({ 'Deployment/shop/web': live }));
    expect(v.summary!.length).toBeLessThanOrEqual(500);
    expect(v.summary).toMatch(/^release shop\/web \(web-1\.2\.0, revision 7\): status failed; deployment shop\/web container c0 runs .*; and \d+ more$/);
    const more = Number(/and (\d+) more$/.exec(v.summary!)![1]);
    const shown = v.summary!.split('; ').length - 1;
    expect(shown + more).toBe(1001);
    expect(v.evidence).toMatchObject({ driftCount: 1000 });
    expect(v.evidence!.drift).toHaveLength(20);
    expect(JSON.stringify(v.evidence).length).toBeLessThan(10_000);
  });

  it('clips a single drift too long for the line', () => {
    const huge = `registry.example.com/${'x'.repeat(5000)}:1`;
    const v = only(release({ workloads: [workload({ containers: [{ name: 'api', image: huge }] })] }), matching);
    expect(v.summary!.length).toBeLessThanOrEqual(500);
    expect(v.summary!.endsWith('…')).toBe(true);
    expect((v.evidence!.drift as Array<{ desired: string }>)[0]!.desired.length).toBeLessThanOrEqual(300);
  });

  it('copes with odd releases: no workloads, a status Helm never writes', () => {
    expect(only(release({ workloads: [] }), cluster({})).firing).toBe(false);
    expect(only(release({ status: 'failed', workloads: [] }), cluster({})).firing).toBe(true);
    // An unknown status is no sign by itself, but drift under it is still drift.
    expect(only(release({ status: 'weird status' }), matching).firing).toBe(false);
    const v = only(release({ status: 'unknown' }), cluster({}));
    expect(v).toMatchObject({ firing: true, evidence: { status: 'unknown' } });
    expect(only(release({ status: '  FAILED ' }), matching).firing).toBe(true);
    expect(only(release({ status: '' }), matching).firing).toBe(false);
  });

  it('judges a decoded Secret against live objects end to end', () => {
    const view = decodeHelmRelease(helmSecret(helmRelease({ info: { status: 'failed', last_deployed: '2026-11-23T09:00:00Z' } })));
    const deployment: k8s.V1Deployment = {
      spec: { replicas: 2, selector: {}, template: { spec: { containers: [{ name: 'api', image: 'registry.example.com/api:1.0' }, { name: 'proxy', image: 'envoyproxy/envoy:v1.31.0' }] } } },
      status: { availableReplicas: 1 },
    };
    const live: LiveLookup = (kind, namespace, name) => (kind === 'Deployment' && namespace === 'shop' && name === 'web' ? liveWorkload(deployment) : undefined);
    const v = only(view, live);
    expect(v).toMatchObject({ firing: true, severity: 'critical', confidence: 'high' });
    expect(v.summary).toBe(
      'release shop/web (web-1.2.0, revision 7): status failed; deployment shop/web container api runs registry.example.com/api:1.0 but the release wants :1.1; deployment shop/web lacks imagePullSecret regcred; statefulset data/cache is missing; deployment shop/web is not healthy',
    );
  });
});
