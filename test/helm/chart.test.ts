/**
 * The Helm chart (helm/robosre), rendered by the real helm CLI (built by
 * scripts/helm/build.sh) and checked against the code and a real API server:
 * its ClusterRole is exactly `rbacRules()` for every combination of Helm
 * releases and executor, its robosre.yaml is a config robosre accepts, no
 * secret value reaches a ConfigMap, and kube-apiserver admits every object —
 * the pod under the `restricted` Pod Security Standard.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rbacRules, type RbacOptions } from '../../adapters/kubernetes/rbac.js';
import { parseConfig } from '../../src/config/config.js';
import { startControlPlane, type ControlPlane } from '../k8s/control-plane.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHART = join(ROOT, 'helm/robosre');
const work = mkdtempSync(join(tmpdir(), 'robosre-helm-'));

/** The helm scripts/helm/build.sh built; throws, saying to run it, when it is not there. */
function helmBinary(): string {
  const version = /^HELM_VERSION=(\S+)$/m.exec(readFileSync(join(ROOT, 'scripts/helm/versions.env'), 'utf8'))?.[1];
  if (!version) throw new Error('scripts/helm/versions.env must set HELM_VERSION');
  const bin = join(process.env.ROBOSRE_HELM_CACHE ?? join(homedir(), '.cache/robosre/helm'), version, 'helm');
  if (!existsSync(bin)) throw new Error(`helm ${version} is not built: no ${bin}. Run scripts/helm/build.sh (needs Go; a few minutes once, cached after).`);
  return bin;
}
const HELM = helmBinary();

/** Runs helm with its config, cache and data in the test's own directory, never the user's. */
function helm(args: string[]): { ok: boolean; out: string } {
  const env = { ...process.env, HELM_CONFIG_HOME: join(work, 'config'), HELM_CACHE_HOME: join(work, 'cache'), HELM_DATA_HOME: join(work, 'data') };
  try {
    return { ok: true, out: execFileSync(HELM, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

let valuesSeq = 0;
function valuesFile(values: unknown): string {
  const path = join(work, `values-${(valuesSeq += 1)}.json`);
  writeFileSync(path, JSON.stringify(values));
  return path;
}

type Manifest = k8s.KubernetesObject & Record<string, unknown>;

function render(release: string, namespace: string, values: unknown): Manifest[] {
  const result = helm(['template', release, CHART, '--namespace', namespace, '--values', valuesFile(values)]);
  if (!result.ok) throw new Error(`helm template failed: ${result.out}`);
  return parseAllDocuments(result.out)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

const find = <T>(manifests: Manifest[], kind: string): T => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, `one ${kind}`).toHaveLength(1);
  return found[0] as unknown as T;
};

/** Every `{ env: NAME }` reference in a config. */
function envReferences(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(envReferences);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === 'env' && typeof entries[0]![1] === 'string') return [entries[0]![1]];
    return entries.flatMap(([, v]) => envReferences(v));
  }
  return [];
}

interface ValueSet {
  name: string;
  release: string;
  rbac: RbacOptions;
  values: Record<string, unknown>;
  /** Values the chart puts in its own Secret: they must reach the pod only through it. */
  secrets?: Record<string, string>;
}

const SECRETS = { ROBOSRE_TOKEN_ALICE: 'alice-approver-token-5f2a9c71', TELEGRAM_BOT_TOKEN: '123456:telegram-bot-secret-8d1e' };

const SETS: ValueSet[] = [
  { name: 'detection only (the defaults)', release: 'detect', rbac: { helmReleases: false, executor: false }, values: { clusterName: 'prod-eu-1' } },
  {
    name: 'detection with Helm releases, without persistence',
    release: 'helm-drift',
    rbac: { helmReleases: true, executor: false },
    values: { clusterName: 'prod-eu-1', kubernetes: { helmReleases: true, namespaces: ['shop', 'infra'] }, persistence: { enabled: false } },
  },
  { name: 'the Kubernetes executor', release: 'acting', rbac: { helmReleases: false, executor: true }, values: { clusterName: 'prod-eu-1', environment: 'production', executor: { kind: 'kubernetes' } } },
  {
    name: 'the executor, Helm releases, tokens, chat and a probe',
    release: 'full',
    rbac: { helmReleases: true, executor: true },
    secrets: SECRETS,
    values: {
      clusterName: 'prod-eu-1',
      environment: 'production',
      executor: { kind: 'kubernetes', maxPodsPerRun: 100 },
      kubernetes: { helmReleases: true, coreWorkloads: ['deployment/shop/*'] },
      server: { publicUrl: 'https://robosre.example.com', publicReads: true },
      secrets: SECRETS,
      secretEnv: { REDIS_PASSWORD: { name: 'redis', key: 'password' } },
      persistence: { existingClaim: 'robosre-data' },
      config: {
        auth: { tokens: [{ name: 'alice', token: { env: 'ROBOSRE_TOKEN_ALICE' }, role: 'approver' }], proxy: { addresses: ['10.0.0.0/8'] } },
        people: [{ name: 'alice', role: 'approver', telegram: 111111111 }],
        channels: { telegram: { botToken: { env: 'TELEGRAM_BOT_TOKEN' }, chatId: -1001234567890, approvers: [111111111] } },
        probes: [{ name: 'cache', kind: 'redis', host: 'redis.infra.svc', password: { env: 'REDIS_PASSWORD' }, critical: true }],
        // Keys the pod depends on are the chart's: these lose.
        server: { port: 9999 },
        database: { path: '/tmp/elsewhere.db' },
      },
    },
  },
];

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the chart, rendered by helm', () => {
  it('is what the code says: appVersion is package.json version, and helm lint --strict passes on every value set', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
    for (const set of SETS) {
      const lint = helm(['lint', '--strict', CHART, '--values', valuesFile(set.values)]);
      expect(lint, set.name).toMatchObject({ ok: true, out: expect.stringContaining('0 chart(s) failed') });
    }
  });

  it.each(SETS)('$name: the ClusterRole is exactly rbacRules() and bound to the chart’s ServiceAccount', (set) => {
    const manifests = render(set.release, 'robosre', set.values);
    const role = find<k8s.V1ClusterRole>(manifests, 'ClusterRole');
    expect(role.rules, 'run scripts/helm/generate-rbac.sh after changing adapters/kubernetes/rbac.ts').toEqual(rbacRules(set.rbac));
    const binding = find<k8s.V1ClusterRoleBinding>(manifests, 'ClusterRoleBinding');
    const account = find<k8s.V1ServiceAccount>(manifests, 'ServiceAccount');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata!.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata!.name, namespace: 'robosre' }]);
  });

  it.each(SETS)('$name: robosre.yaml is a config robosre accepts, in-cluster, with every secret reference provided by the pod', (set) => {
    const manifests = render(set.release, 'robosre', set.values);
    const text = find<k8s.V1ConfigMap>(manifests, 'ConfigMap').data!['robosre.yaml']!;
    const raw = parse(text) as unknown;
    const deployment = find<k8s.V1Deployment>(manifests, 'Deployment');
    const env = deployment.spec!.template.spec!.containers[0]!.env ?? [];
    const provided = env.map((e) => e.name);
    for (const name of envReferences(raw)) expect(provided, `the pod sets ${name}`).toContain(name);
    for (const e of env) expect(e.value, `${e.name} comes from a Secret`).toBeUndefined();
    for (const name of provided) vi.stubEnv(name, `value-of-${name}`);
    try {
      const config = parseConfig(raw, 'the chart’s robosre.yaml');
      expect(config.kubernetes).toBeDefined();
      expect(config.kubernetes!.kubeconfig).toBeUndefined();
      expect(config.kubernetes!.helmReleases).toBe(set.rbac.helmReleases);
      expect(config.executor.kind).toBe(set.rbac.executor ? 'kubernetes' : 'recording');
      expect(config.cluster.name).toBe('prod-eu-1');
      expect(config.database.path).toBe('/var/lib/robosre/robosre.db');
      expect(config.executor.journal).toBe('/var/lib/robosre/actions.ndjson');
      expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8080, publicReads: (set.values.server as { publicReads?: boolean } | undefined)?.publicReads ?? false });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it.each(SETS)('$name: no secret value appears in any ConfigMap, and the Secret holds exactly the chart’s secrets', (set) => {
    const manifests = render(set.release, 'robosre', set.values);
    const secret = manifests.filter((m) => m.kind === 'Secret') as unknown as k8s.V1Secret[];
    const held = Object.fromEntries(Object.entries(secret[0]?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    expect(held).toEqual(set.secrets ?? {});
    const configMaps = (manifests.filter((m) => m.kind === 'ConfigMap') as unknown as k8s.V1ConfigMap[]).map((c) => JSON.stringify(c));
    for (const value of Object.values(held)) {
      for (const c of configMaps) {
        expect(c).not.toContain(value);
        expect(c).not.toContain(Buffer.from(value).toString('base64'));
      }
    }
  });

  it('refuses a secret written as a value instead of a reference, naming where it is, and a missing clusterName', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ channels: { telegram: { botToken: '123456:literal', chatId: -100 } } }, 'config.channels.telegram.botToken'],
      [{ auth: { tokens: [{ name: 'alice', token: 'literal-token', role: 'admin' }] } }, 'config.auth.tokens[0].token'],
      [{ probes: [{ name: 'db', kind: 'postgres', host: 'pg', password: 'hunter2' }] }, 'config.probes[0].password'],
    ];
    for (const [config, path] of cases) {
      const result = helm(['template', 'r', CHART, '--values', valuesFile({ clusterName: 'prod', config })]);
      expect(result.ok, path).toBe(false);
      expect(result.out).toContain(`${path}: a secret must be a reference`);
    }
    expect(helm(['template', 'r', CHART]).out).toContain('clusterName is required');
  });

  it('runs one pod that stops before the next starts, probed on /healthz and /readyz, non-root on a read-only root', () => {
    const manifests = render('full', 'robosre', SETS.find((s) => s.release === 'full')!.values);
    const deployment = find<k8s.V1Deployment>(manifests, 'Deployment');
    expect(deployment.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    const pod = deployment.spec!.template.spec!;
    const container = pod.containers[0]!;
    expect(container.startupProbe?.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(container.livenessProbe?.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/robosre' });
    expect(pod.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'robosre-data' } });
    expect(manifests.some((m) => m.kind === 'PersistentVolumeClaim'), 'an existing claim is not created again').toBe(false);
    const service = find<k8s.V1Service>(manifests, 'Service');
    expect(service.spec!.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    expect(service.spec!.selector).toEqual(deployment.spec!.selector.matchLabels);
  });
});

describe('the rendered chart on a real API server', () => {
  let cp: ControlPlane;
  let objects: k8s.KubernetesObjectApi;
  let core: k8s.CoreV1Api;
  let authz: k8s.AuthorizationV1Api;

  beforeAll(async () => {
    cp = await startControlPlane();
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    core = kc.makeApiClient(k8s.CoreV1Api);
    authz = kc.makeApiClient(k8s.AuthorizationV1Api);
  }, 120_000);

  afterAll(async () => {
    await cp?.stop();
  });

  const allowed = async (namespace: string, account: string, verb: string, group: string, resource: string): Promise<boolean> => {
    const [res, subresource] = resource.split('/');
    const review = await authz.createSubjectAccessReview({
      body: {
        spec: {
          user: `system:serviceaccount:${namespace}:${account}`,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
          resourceAttributes: { verb, group, resource: res, ...(subresource ? { subresource } : {}), namespace: 'shop' },
        },
      },
    });
    return review.status!.allowed;
  };

  it.each(SETS.map((set, i) => ({ ...set, namespace: `robosre-${i}` })))(
    '$name: every object is admitted, the pod passes the restricted Pod Security Standard, and the account may do exactly what rbacRules() grants',
    async (set) => {
      await core.createNamespace({ body: { metadata: { name: set.namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } } });
      const manifests = render(set.release, set.namespace, set.values);
      for (const manifest of manifests) await objects.create(manifest);

      const configMap = find<k8s.V1ConfigMap>(manifests, 'ConfigMap');
      const stored = await core.readNamespacedConfigMap({ name: configMap.metadata!.name!, namespace: set.namespace });
      expect(stored.data).toEqual(configMap.data);

      // Nothing runs pods here (no controller manager), so the pod the Deployment would create is submitted itself, dry run.
      const template = find<k8s.V1Deployment>(manifests, 'Deployment').spec!.template;
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'robosre-pod', namespace: set.namespace, labels: template.metadata!.labels }, spec: template.spec! };
      await expect(core.createNamespacedPod({ namespace: set.namespace, body: pod, dryRun: 'All' })).resolves.toMatchObject({ metadata: { name: 'robosre-pod' } });
      // The same pod without the container's hardening is refused: the admission above was a real check.
      const lax = { ...pod, spec: { ...pod.spec, containers: pod.spec.containers.map((c) => ({ ...c, securityContext: undefined })) } };
      await expect(core.createNamespacedPod({ namespace: set.namespace, body: lax, dryRun: 'All' })).rejects.toMatchObject({ code: 403, body: expect.stringContaining('violates PodSecurity') });

      const account = find<k8s.V1ServiceAccount>(manifests, 'ServiceAccount').metadata!.name!;
      const rules = rbacRules(set.rbac);
      for (const rule of rules)
        for (const group of rule.apiGroups)
          for (const resource of rule.resources)
            for (const verb of rule.verbs) expect(await allowed(set.namespace, account, verb, group, resource), `${verb} ${group}/${resource}`).toBe(true);
      const never: Array<[string, string, string]> = [
        ['delete', '', 'namespaces'],
        ['delete', '', 'persistentvolumeclaims'],
        ['get', '', 'secrets'],
        ['create', 'rbac.authorization.k8s.io', 'clusterrolebindings'],
        ...(set.rbac.executor ? [] : [['patch', '', 'nodes'] as [string, string, string]]),
        ...(set.rbac.helmReleases ? [] : [['list', '', 'secrets'] as [string, string, string]]),
      ];
      for (const [verb, group, resource] of never) expect(await allowed(set.namespace, account, verb, group, resource), `${verb} ${group}/${resource}`).toBe(false);
    },
    60_000,
  );
});
