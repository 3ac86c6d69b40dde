/**
 * The analyst's tools that read the cluster, on a real API server.
 * get_related answers from the informer caches: the pod's Warning events,
 * its node's conditions and taints. get_logs: the crash-looping
 * pod's tail, asked by the watcher, is there already (unavailable: no kubelet behind this
 * API server, and it says so); the model asks for another container's, which
 * is fetched once through the watcher's throttled tails and recorded as
 * evidence; a third container is refused, the one extra fetch being spent.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { waitFor } from '../support/wait-for.js';
import { OpenAiEmulator } from '../ai/openai-emulator.js';
import { answer, PING } from '../ai/world.js';
import { podLogReads, startControlPlane, type ControlPlane } from './control-plane.js';
import { startRuntime, type TestRuntime } from './runtime.js';

let cp: ControlPlane;
let llm: OpenAiEmulator;
let test: TestRuntime;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  cp = await startControlPlane();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'shop' } } });
  llm = await OpenAiEmulator.start({ models: ['emulated-model'] });
  test = await startRuntime(cp, { engine: { analysisDelay: 0 }, ai: { baseUrl: llm.baseUrl, model: 'emulated-model', apiKey: llm.apiKey, timeout: '5s', maxRetries: 0 }, analystStopped: true });
}, 120_000);

afterAll(async () => {
  await test?.stop();
  await llm?.close();
  await cp?.stop();
});

const status = (name: string, extra: Partial<k8s.V1ContainerStatus>): k8s.V1ContainerStatus => ({ name, image: `registry.example.com/${name}:1`, imageID: '', ready: false, restartCount: 0, ...extra });

it('get_related reads events and the node from the caches; get_logs fetches one more tail for the container the model names, once, recorded as evidence; a further fetch is refused', async () => {
  llm.enqueue(
    PING,
    { toolCalls: [{ name: 'get_related', arguments: {} }, { name: 'get_logs', arguments: {} }] },
    { toolCalls: [{ name: 'get_logs', arguments: { container: 'proxy' } }] },
    { toolCalls: [{ name: 'get_logs', arguments: { container: 'init-db' } }] },
    answer({ summary: 'the app exits at start' }),
  );
  const node = await core.createNode({ body: { metadata: { name: 'worker-9' }, spec: { taints: [{ key: 'example.com/maintenance', effect: 'PreferNoSchedule' }] } } });
  await core.replaceNodeStatus({ name: 'worker-9', body: { ...node, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() }, { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() }] } } });
  await core.createNamespacedEvent({
    namespace: 'shop',
    body: { metadata: { name: 'web-1.backoff' }, involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web-1' }, reason: 'BackOff', message: 'Back-off restarting failed container app', type: 'Warning', count: 7, firstTimestamp: new Date(), lastTimestamp: new Date(), source: { component: 'kubelet', host: 'worker-9' } },
  });
  const pod = await core.createNamespacedPod({
    namespace: 'shop',
    body: { metadata: { name: 'web-1' }, spec: { nodeName: 'worker-9', containers: ['app', 'proxy', 'init-db'].map((name) => ({ name, image: `registry.example.com/${name}:1` })) } },
  });
  const readsBefore = await podLogReads(cp);
  await core.replaceNamespacedPodStatus({
    name: 'web-1',
    namespace: 'shop',
    body: {
      ...pod,
      status: {
        phase: 'Running',
        containerStatuses: [
          status('app', { restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } }, lastState: { terminated: { reason: 'Error', exitCode: 1 } } }),
          status('proxy', { ready: true, state: { running: { startedAt: new Date() } } }),
          status('init-db', { ready: true, state: { running: { startedAt: new Date() } } }),
        ],
      },
    },
  });
  const db = test.runtime.store.db;
  const incident = await waitFor('the crash-loop incident', () => incidentsRepo.listIncidents(db, { limit: 100 }).find((i) => i.subject === 'prod.pod.shop.web-1' && i.incidentType === 'crash_loop_backoff'), 20_000);
  // The analyst starts once the watcher's own tail is recorded, as after a restart: what it finds is then certain.
  await waitFor("the watcher's log tail", () => incidentsRepo.timeline(db, incident.id).find((e) => e.kind === 'evidence'), 20_000);
  await waitFor('the event and the node in the caches', () => (test.runtime.watcher!.eventsOf('pod/shop/web-1').length && test.runtime.watcher!.nodeState('worker-9') ? true : undefined));
  test.runtime.analyst!.start();
  const record = await waitFor('the AI record', () => incidentsRepo.timeline(db, incident.id).find((e) => e.kind === 'ai'), 30_000);
  expect((record.data.tools as Array<{ name: string; outcome: string }>).map((t) => `${t.name}:${t.outcome}`)).toEqual(['get_related:ok', 'get_logs:ok', 'get_logs:ok', 'get_logs:refused']);

  // This incident's last request: the cluster may raise others (the node) that the analyst takes up after it.
  const last = llm.completions().filter((r) => (r.body.messages[0]?.content ?? '').includes(`incident #${incident.id} (`)).at(-1)!;
  const [related, ...replies] = (last.body.messages ?? []).filter((m) => m.role === 'tool').map((m) => JSON.parse(m.content ?? 'null') as Record<string, unknown>);
  // The controller manager may add its own not-ready taint meanwhile: ours is among them.
  expect(related!.untrusted_data).toMatchObject({
    node: 'worker-9',
    nodeState: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }, { type: 'MemoryPressure', status: 'False' }], taints: expect.arrayContaining([{ key: 'example.com/maintenance', effect: 'PreferNoSchedule' }]) },
    events: { 'pod/shop/web-1': [{ reason: 'BackOff', message: 'Back-off restarting failed container app', count: 7 }] },
  });
  // The watcher's own tail, of the crashed container before its restart.
  expect(replies[0]!.untrusted_data).toMatchObject({ fetched: 'earlier', tails: [{ ref: 'logs:shop/web-1/app#4', container: 'app' }] });
  // The one more: the running proxy's current log, through the API server (which has no kubelet to ask).
  expect(replies[1]!.untrusted_data).toMatchObject({ fetched: 'now', tails: [{ ref: 'logs:shop/web-1/proxy#0', container: 'proxy', fetchedBy: 'analyst' }] });
  expect((replies[1]!.untrusted_data as { tails: Array<{ summary: string }> }).tails[0]!.summary).toMatch(/^log tail of proxy unavailable: /);
  expect(replies[2]!.error).toMatch(/^the one extra log fetch of this incident went to logs:shop\/web-1\/proxy#0/);

  const evidence = incidentsRepo.timeline(db, incident.id).filter((e) => e.kind === 'evidence').map((e) => e.data.ref);
  expect(evidence).toEqual(['logs:shop/web-1/app#4', 'logs:shop/web-1/proxy#0']);
  expect(incidentsRepo.getIncident(db, incident.id)!.rawEvidenceRefs).toContain('logs:shop/web-1/proxy#0');
  // Two reads of the log subresource in all: the watcher's and the analyst's.
  expect((await podLogReads(cp)) - readsBefore).toBe(2);
}, 90_000);
