/**
 * Probe confidence corroborated by Kubernetes on a real API server: a probe
 * whose target has pods down opens its incident at medium confidence, one
 * whose target is healthy or not a watched workload at low, and each says
 * what the watcher's cache showed. The kubelet and controllers are simulated
 * by writing workload status through the status subresource.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/engine/model.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { waitFor } from '../alertmanager/intake.js';
import { freePort } from '../probes/servers.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { startRuntime, type TestRuntime } from './runtime.js';

let cp: ControlPlane;
let test: TestRuntime;

const template = (app: string) => ({ selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [{ name: app, image: `infra/${app}:1` }] } } });

beforeAll(async () => {
  cp = await startControlPlane();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  await core.createNamespace({ body: { metadata: { name: 'infra' } } });
  const redis = await apps.createNamespacedStatefulSet({ namespace: 'infra', body: { metadata: { name: 'redis' }, spec: { replicas: 1, serviceName: 'redis', ...template('redis') } } });
  await apps.replaceNamespacedStatefulSetStatus({ name: 'redis', namespace: 'infra', body: { ...redis, status: { replicas: 1, readyReplicas: 0, availableReplicas: 0 } } });
  const api = await apps.createNamespacedDeployment({ namespace: 'infra', body: { metadata: { name: 'api' }, spec: { replicas: 2, ...template('api') } } });
  await apps.replaceNamespacedDeploymentStatus({ name: 'api', namespace: 'infra', body: { ...api, status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 } } });
  // Every probe fails (nothing listens); only what Kubernetes shows differs.
  const every = { interval: 2_000, timeout: 1_000 };
  test = await startRuntime(cp, {
    probes: [
      { name: 'cache', kind: 'tcp', host: '127.0.0.1', port: await freePort(), target: 'statefulset/infra/redis', ...every },
      { name: 'api', kind: 'tcp', host: '127.0.0.1', port: await freePort(), target: 'deployment/infra/api', ...every },
      { name: 'unwatched', kind: 'tcp', host: '127.0.0.1', port: await freePort(), target: 'deployment/infra/missing', ...every },
    ],
  });
}, 120_000);

afterAll(async () => {
  await test?.stop();
  await cp?.stop();
});

const first = (subject: string): Promise<Incident> =>
  waitFor(`an incident on ${subject}`, () => incidentsRepo.listIncidents(test.runtime.store.db, { limit: 100 }).find((i) => i.subject === subject), 20_000);

describe('probe incidents corroborated by the Kubernetes watcher', () => {
  it('pods down make the first failure medium, pods ready or no watched workload leave it low; each says what Kubernetes showed', async () => {
    // All three as they opened, before a second failed check raises any of them.
    const [cache, api, unwatched] = await Promise.all([first('prod.service.cache'), first('prod.service.api'), first('prod.service.unwatched')]);
    expect(cache).toMatchObject({ incidentType: 'runtime_dependency_outage', confidence: 'medium' });
    expect(cache.triggerParams).toMatchObject({ errorClass: 'refused', kubernetes: { target: 'statefulset/infra/redis', podsReady: 0, podsDesired: 1, podsDown: true } });
    expect(cache.evidenceSummary).toContain('Kubernetes: statefulset/infra/redis has 0/1 pods ready');
    expect(api).toMatchObject({ confidence: 'low' });
    expect(api.triggerParams).toMatchObject({ kubernetes: { podsReady: 2, podsDesired: 2, podsDown: false } });
    expect(unwatched).toMatchObject({ confidence: 'low' });
    expect(unwatched.triggerParams).not.toHaveProperty('kubernetes');
  });

  it('the second failure in a row makes the corroborated one high', async () => {
    const cache = await first('prod.service.cache');
    await waitFor('high confidence', () => (incidentsRepo.getIncident(test.runtime.store.db, cache.id)!.confidence === 'high' ? true : undefined), 20_000);
  });
});
