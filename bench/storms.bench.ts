/**
 * The storm scenario of issue 17, side by side in one run on one kwok
 * cluster (50 nodes, 1 000 pods, the real scheduler and node lifecycle
 * controller): two robosres in production watch it, each with its own
 * Telegram emulator — one as shipped, one with storms off (the reference:
 * `storms.enabled: false`, the per-node flow). 40 nodes lose
 * their heartbeats at once; we measure, for each, the time from the first
 * NotReady (the Ready condition's lastTransitionTime, whole seconds) to the
 * first thread about it, the threads, messages, edits and prompts sent until
 * the nodes are back and every incident resolved.
 *
 *   scripts/node/run npx tsx bench/storms.bench.ts [--write]
 */
import * as k8s from '@kubernetes/client-node';
import { loadavg } from 'node:os';
import * as incidentsRepo from '../src/store/incidents.repo.js';
import { CHAT, startWorld, type World } from '../test/chat/world.js';
import { GROUP_LABEL, startKwokCluster } from '../test/k8s/kwok-cluster.js';
import { kwokDeployment } from '../test/k8s/kwok-workloads.js';
import { waitFor } from '../test/support/wait-for.js';
import { machine, writeSection } from './report.js';

const NS = 'bench';
const STORM_NODES = 40;
const write = process.argv.includes('--write');

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const started = Date.now();
console.log(`machine: ${machine()}; load ${load()}`);

const cluster = await startKwokCluster({ groups: ['storm', 'calm'] });
const core = cluster.kubeConfig.makeApiClient(k8s.CoreV1Api);
const apps = cluster.kubeConfig.makeApiClient(k8s.AppsV1Api);
const worlds: World[] = [];
try {
  await core.createNamespace({ body: { metadata: { name: NS } } });
  const stormNodes = await cluster.addNodes('storm', STORM_NODES);
  await cluster.addNodes('calm', 50 - STORM_NODES);
  await apps.createNamespacedDeployment({ namespace: NS, body: kwokDeployment('fleet', 1000) });
  await waitFor('1 000 pods Running', async () => ((await core.listNamespacedPod({ namespace: NS })).items.filter((p) => p.status?.phase === 'Running').length === 1000 ? true : undefined), 600_000, 2_000);

  const robosre = (storms: Record<string, unknown>) =>
    startWorld({ config: { environment: 'production', engine: { analysisDelay: '10s' }, kubernetes: { kubeconfig: cluster.controlPlane.kubeconfigPath, notReadyAfter: '5s' }, storms } });
  const [shipped, reference] = [await robosre({}), await robosre({ enabled: false })];
  worlds.push(shipped, reference);
  for (const w of worlds) await w.runtime.watcher!.start();

  await cluster.stopGroup('storm');
  const incidentsOf = (w: World) => incidentsRepo.listIncidents(w.runtime.store.db, { limit: 100_000 }).filter((i) => stormNodes.some((n) => i.subject === `prod.node.${n}`) || i.subjectType === 'storm');
  const allOpen = (w: World, n: number) => incidentsOf(w).filter((i) => i.subjectType !== 'storm' && i.status !== 'resolved').length >= n;
  await waitFor('every storm node an incident in both', () => (worlds.every((w) => allOpen(w, STORM_NODES)) ? true : undefined), 300_000, 1_000);
  // Let both say all they will say about the storm before the nodes come back.
  await waitFor('both done planning', () => (worlds.every((w) => incidentsOf(w).every((i) => i.phase !== 'analyze' && i.phase !== 'plan')) ? true : undefined), 120_000, 1_000);
  const nodes = (await core.listNode({ labelSelector: `${GROUP_LABEL}=storm` })).items;
  const firstNotReady = Math.min(...nodes.map((n) => Date.parse(String(n.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime))));
  const during = worlds.map((w) => {
    const messages = w.emu.messages(CHAT);
    const roots = messages.filter((m) => m.replyTo === null);
    return {
      firstThreadS: ((Math.min(...roots.map((m) => m.receivedAt)) - firstNotReady) / 1000).toFixed(1),
      threads: roots.length,
      messages: messages.length,
      edits: messages.reduce((n, m) => n + m.edits, 0),
      prompts: messages.filter((m) => m.keyboard.length > 0).length,
    };
  });

  cluster.startGroup('storm');
  await waitFor('every incident resolved in both', () => (worlds.every((w) => incidentsOf(w).every((i) => i.status === 'resolved')) ? true : undefined), 600_000, 1_000);
  const after = worlds.map((w) => ({ messages: w.emu.messages(CHAT).length, threads: w.emu.messages(CHAT).filter((m) => m.replyTo === null).length }));

  const [s, r] = [during[0]!, during[1]!];
  const rows = [
    `| first NotReady → first thread | ${s.firstThreadS} s | ${r.firstThreadS} s |`,
    `| threads while down | ${s.threads} | ${r.threads} |`,
    `| messages while down (roots, replies, prompts) | ${s.messages} | ${r.messages} |`,
    `| edits while down | ${s.edits} | ${r.edits} |`,
    `| approval prompts | ${s.prompts} | ${r.prompts} |`,
    `| messages until every incident resolved | ${after[0]!.messages} | ${after[1]!.messages} |`,
    `| threads until every incident resolved | ${after[0]!.threads} | ${after[1]!.threads} |`,
  ];
  const text = `## Storms (kwok cluster)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; load ${load()} at the end. \`bench/storms.bench.ts\`: a kwok
cluster of 50 nodes and 1 000 pods (kube-scheduler, node lifecycle controller with a 20 s grace); two
robosres in production side by side, each with its own Telegram emulator through grammY — as shipped,
and with storms off (\`storms.enabled: false\`, the per-node flow). ${STORM_NODES} nodes' kwok is killed at
once, then started again. "First NotReady" is the earliest Ready lastTransitionTime (whole seconds);
the detector waits \`notReadyAfter\` (5 s here) and the engine the analysis delay (10 s) before a thread.

| | storms (shipped) | storms off (reference) |
|---|---|---|
${rows.join('\n')}

Whole run ${((Date.now() - started) / 1000).toFixed(0)} s.
`;
  console.log(text);
  if (write) writeSection('## Storms (kwok cluster)', text);
} finally {
  for (const w of worlds) {
    await w.runtime.watcher?.stop();
    await w.close();
  }
  await cluster.stop();
}
