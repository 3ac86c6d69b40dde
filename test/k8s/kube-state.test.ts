/**
 * kube_state_stuck (seed 000's StuckKubeState) on a real API server: idle
 * watches are not mistaken for a stuck view while others deliver, a hung
 * (frozen) API server is; the API server going away is one incident that resolves when it
 * returns; a forbidden API is a health signal and one clear log line, not a
 * crash loop, and the token never reaches the log.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterWatcher } from '../../adapters/kubernetes/cluster-watcher.js';
import { DEFAULT_DETECTOR_SETTINGS } from '../../src/detectors/kubernetes/detect.js';
import type { Signal } from '../../src/engine/model.js';
import { createLogger } from '../../src/log.js';
import { buildServer } from '../../src/server/server.js';
import type { Runtime } from '../../src/runtime.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { waitFor } from '../alertmanager/intake.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { startRuntime, type TestRuntime } from './runtime.js';

let cp: ControlPlane;
let test: TestRuntime;
let runtime: Runtime;
const SUBJECT = 'prod.control-server.kube-state';

beforeAll(async () => {
  cp = await startControlPlane();
  test = await startRuntime(cp, { kubernetes: { watchFailingAfter: '2s' } });
  runtime = test.runtime;
}, 120_000);

afterAll(async () => {
  await test?.stop();
  await cp?.stop();
});

const stuckIncidents = () => incidentsRepo.listIncidents(runtime.store.db, { limit: 1000 }).filter((i) => i.incidentType === 'kube_state_stuck' && i.subject === SUBJECT);

describe('kube_state_stuck on a real API server', () => {
  it('tells a quiet cluster from a hung API server: idle watches are not stuck while others deliver; total silence is', async () => {
    const signals: Signal[] = [];
    const watcher = new ClusterWatcher({
      kubeconfig: cp.kubeconfigPath,
      namespaces: [],
      cluster: 'prod',
      settings: { ...DEFAULT_DETECTOR_SETTINGS, watchSilentAfterMs: 4_000 },
      onSignal: (s) => signals.push(s),
      logger: createLogger('silent'),
    });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    let node = await core.createNode({ body: { metadata: { name: 'heartbeat' } } });
    // A kubelet's heartbeat: the nodes watch delivers while jobs, cronjobs, claims … hear nothing at all.
    let beats = 0;
    const beat = setInterval(() => {
      const conditions = [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date(), lastTransitionTime: new Date(0) }];
      core.replaceNodeStatus({ name: 'heartbeat', body: { ...node, status: { conditions } } }).then((n) => ((node = n), (beats += 1)), () => undefined);
    }, 500);
    try {
      await watcher.start();
      const quietFrom = Date.now();
      const beatsFrom = beats;
      // Three silent-periods, through which the node watch really delivered: a loaded API server slows the beats, and then this waits longer.
      await waitFor('three silent-periods of a cluster where only one watch delivers', () => (Date.now() - quietFrom > 12_000 && beats - beatsFrom > 10 ? true : undefined), 40_000);
      expect(signals.filter((s) => s.incidentType === 'kube_state_stuck')).toEqual([]);
      cp.pauseApiServer();
      const stuck = await waitFor('kube_state_stuck from total silence', () => signals.find((s) => s.incidentType === 'kube_state_stuck' && s.status === 'firing'), 20_000);
      expect(stuck).toMatchObject({ severity: 'critical', confidence: 'medium', summary: expect.stringMatching(/nothing heard on any of \d+ watches/) });
      cp.resumeApiServer();
      await waitFor('resolved once the server answers again', () => signals.find((s) => s.incidentType === 'kube_state_stuck' && s.status === 'resolved'), 30_000);
    } finally {
      clearInterval(beat);
      cp.resumeApiServer();
      await watcher.stop();
    }
  }, 90_000);

  it('raises one critical incident while the API server is down, names the stale watches in /readyz and /metrics, resolves it when it is back, and detects again', async () => {
    const app = buildServer({ runtime, config: runtime.config, logger: createLogger('silent') });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const readyz = async (): Promise<{ staleWatches: Array<{ name: string; failing: boolean; lastError?: string }> }> => (await fetch(`${base}/readyz`)).json() as never;
    const metric = async (name: string, watch: string): Promise<number | undefined> => {
      const line = (await (await fetch(`${base}/metrics`)).text()).split('\n').find((l) => l.startsWith(`${name}{watch="${watch}"} `));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    expect(await metric('ops_watch_stale', 'pods')).toBe(0);
    expect(await metric('ops_watch_last_heard_age_seconds', 'pods')).toBeGreaterThanOrEqual(0);
    const failuresBefore = (await metric('ops_watch_failures_total', 'pods'))!;
    await cp.stopApiServer();
    let incident;
    try {
      incident = await waitFor('kube_state_stuck while the API server is down', () => stuckIncidents()[0], 60_000);
      expect(incident).toMatchObject({ confidence: 'high' });
      const id = incident.id;
      await waitFor('every watch failing makes it critical', () => (incidentsRepo.getIncident(runtime.store.db, id)!.severity === 'critical' ? true : undefined), 60_000);
      expect(incident.evidenceSummary).toMatch(/watches stuck: .*failing for \d+s/);
      const stale = await waitFor('/readyz names the failing pods watch', async () => (await readyz()).staleWatches.find((w) => w.name === 'pods'), 60_000);
      expect(stale).toMatchObject({ failing: true, lastError: expect.any(String) });
      expect(await metric('ops_watch_stale', 'pods')).toBe(1);
      expect(await metric('ops_watch_failures_total', 'pods')).toBeGreaterThan(failuresBefore);
    } finally {
      // Whatever happened above, the next tests need the API server back.
      await cp.startApiServer();
    }
    const id = incident.id;
    await waitFor('the incident resolved', () => (incidentsRepo.getIncident(runtime.store.db, id)!.status === 'resolved' ? true : undefined), 60_000);
    await waitFor('/readyz names no stale watch', async () => ((await readyz()).staleWatches.length === 0 ? true : undefined), 60_000);
    await app.close();
    // The watches are live again: a new condition is seen.
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const node = await core.createNode({ body: { metadata: { name: 'after-outage' } } });
    await core.replaceNodeStatus({ name: 'after-outage', body: { ...node, status: { conditions: [{ type: 'DiskPressure', status: 'True', lastTransitionTime: new Date() }] } } });
    await waitFor('disk pressure seen after the outage', () => incidentsRepo.listIncidents(runtime.store.db, { limit: 100 }).find((i) => i.subject === 'prod.node.after-outage'), 30_000);
    expect(stuckIncidents()).toHaveLength(1);
  }, 240_000);

  it('reports a forbidden API as a health signal and a plain log line naming the permission, never the token, and keeps retrying', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const signals: Signal[] = [];
    const watcher = new ClusterWatcher({
      kubeconfig: cp.kubeconfigPath,
      context: 'restricted',
      namespaces: [],
      cluster: 'prod',
      settings: { ...DEFAULT_DETECTOR_SETTINGS, watchFailingAfterMs: 1_000 },
      onSignal: (s) => signals.push(s),
      logger: createLogger('info', sink),
    });
    try {
      await watcher.start();
      // Every watch is refused; they pass the threshold a few milliseconds apart, so the first signal may name only some.
      const stuck = await waitFor('a kube_state_stuck signal for every watch', () => signals.find((s) => s.incidentType === 'kube_state_stuck' && s.status === 'firing' && s.severity === 'critical'), 20_000);
      expect(stuck).toMatchObject({ subject: SUBJECT, confidence: 'high' });
      expect(stuck.summary).toMatch(/nodes failing for \d+s \(HTTP 403/);
      const refusals = lines.filter((l) => l.includes('refuses robosre access'));
      expect(refusals.some((l) => l.includes('to pods (403): grant list and watch on it'))).toBe(true);
      // Retries continue with backoff: the same refusal is logged again later, and the watcher did not throw.
      await waitFor('a retry', () => (lines.filter((l) => l.includes('refuses robosre access to nodes')).length >= 2 ? true : undefined), 20_000);
      const token = readFileSync(join(cp.dir, 'tokens.csv'), 'utf8').split('\n')[1]!.split(',')[0]!;
      expect(lines.join('\n')).not.toContain(token);
    } finally {
      await watcher.stop();
    }
  }, 60_000);
});
