/**
 * A test cluster that behaves like a real one: the test control plane with
 * kube-scheduler and kube-controller-manager's node lifecycle controller, and
 * kwok (sigs.k8s.io/kwok) playing the kubelets. Nodes come in groups, each
 * managed by its own kwok process; stopping a group's process stops its
 * nodes' heartbeats (lease renewals), so the real controller marks exactly
 * those nodes Ready=Unknown, taints them `node.kubernetes.io/unreachable` and
 * evicts their pods. Pods are bound by the real scheduler and run, crash-loop,
 * fail to pull or get OOM-killed as kwok's stages (./kwok-stages.ts) say.
 * See docs/k8s-test-cluster.md.
 */
import * as k8s from '@kubernetes/client-node';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../support/wait-for.js';
import { kwokBinariesDir, startControlPlane, type ControlPlane } from './control-plane.js';
import { stagesYaml } from './kwok-stages.js';
import { launch, running, tail, terminate } from './processes.js';

/** The annotation whose value names the group (and so the kwok process) that manages a node. */
export const GROUP_ANNOTATION = 'kwok.x-k8s.io/node';
/** The same as a label, for selecting a group's nodes. */
export const GROUP_LABEL = 'kwok.robosre.test/group';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/**
 * Heartbeats and how long they may stop (measured in docs/k8s-test-cluster.md):
 * kwok renews each node's Lease every quarter of its duration (as the kubelet:
 * 40 s, every 10 s), and the controller marks a node Ready=Unknown once its
 * lease went unrenewed for the grace period (Kubernetes' default: 50 s).
 */
const DEFAULT_LEASE_DURATION_SECONDS = 20;
const DEFAULT_GRACE_PERIOD_SECONDS = 20;

export interface KwokClusterOptions {
  /** The node groups, each managed by its own kwok process. */
  groups: string[];
  /** kwok's `--node-lease-duration-seconds`; it renews every quarter of it. */
  leaseDurationSeconds?: number;
  /** kube-controller-manager's `--node-monitor-grace-period`. */
  gracePeriodSeconds?: number;
  /** kube-controller-manager's `--node-eviction-rate` (nodes per second and zone given the NoExecute taint; Kubernetes' default 0.1). */
  evictionRate?: number;
  /** Passed to startControlPlane (./control-plane.ts). */
  auditPolicy?: string;
  kubeApiQps?: number;
}

export interface AddNodesOptions {
  /** `topology.kubernetes.io/zone`; the group's name when not given. */
  zone?: string;
  labels?: Record<string, string>;
  /** E.g. `kwok.robosre.test/disk-pressure: "true"` (./kwok-stages.ts). */
  annotations?: Record<string, string>;
}

export interface KwokCluster {
  controlPlane: ControlPlane;
  /** The admin kubeconfig. */
  kubeConfig: k8s.KubeConfig;
  /** Creates `count` nodes in `group` (named `<group>-<n>`), waits until they are Ready and returns their names. */
  addNodes(group: string, count: number, options?: AddNodesOptions): Promise<string[]>;
  /** Kills the group's kwok (SIGKILL, as a node losing power or its network): its nodes' heartbeats stop. */
  stopGroup(group: string): Promise<void>;
  /** Starts the group's kwok again: it takes its nodes' leases back once they expire and reports them Ready (wait for that). */
  startGroup(group: string): void;
  /** Stops every kwok and the control plane. Safe to call twice. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 120_000;

export async function startKwokCluster(options: KwokClusterOptions): Promise<KwokCluster> {
  const kwok = join(kwokBinariesDir(), 'kwok');
  const leaseDurationSeconds = options.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS;
  if (options.groups.length === 0 || new Set(options.groups).size !== options.groups.length || options.groups.some((g) => !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(g))) {
    throw new Error(`kwok cluster: groups must be one or more distinct DNS labels, got ${JSON.stringify(options.groups)}`);
  }
  const controlPlane = await startControlPlane({
    scheduler: true,
    nodeLifecycle: { gracePeriodSeconds: options.gracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS, evictionRate: options.evictionRate },
    ...(options.auditPolicy === undefined ? {} : { auditPolicy: options.auditPolicy }),
    ...(options.kubeApiQps === undefined ? {} : { kubeApiQps: options.kubeApiQps }),
  });
  const stagesPath = join(controlPlane.dir, 'kwok-stages.yaml');
  writeFileSync(stagesPath, stagesYaml());
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromFile(controlPlane.kubeconfigPath);
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);

  const processes = new Map<string, ChildProcess | undefined>(options.groups.map((g) => [g, undefined]));
  const nodeCounts = new Map<string, number>(options.groups.map((g) => [g, 0]));
  const log = (group: string): string => join(controlPlane.dir, `kwok-${group}.log`);
  const known = (group: string): void => {
    if (!processes.has(group)) throw new Error(`kwok cluster: no group ${JSON.stringify(group)} (groups: ${options.groups.join(', ')})`);
  };

  const startGroup = (group: string): void => {
    known(group);
    if (running(processes.get(group))) return;
    const index = options.groups.indexOf(group);
    const child = launch(
      kwok,
      [
        `--kubeconfig=${controlPlane.kubeconfigPath}`,
        `--config=${stagesPath}`,
        '--manage-all-nodes=false',
        `--manage-nodes-with-annotation-selector=${GROUP_ANNOTATION}=${group}`,
        `--node-lease-duration-seconds=${leaseDurationSeconds}`,
        // Each group its own pod network, so pod IPs are unique across processes.
        `--cidr=10.${128 + index}.0.0/16`,
      ],
      log(group),
    );
    processes.set(group, child);
  };
  // kwok has no readiness endpoint: its nodes turning Ready is the proof it
  // works, and a kwok that exited (a bad flag or stage) fails the wait at once.
  const alive = (group: string): void => {
    const child = processes.get(group);
    if (!running(child)) throw new Error(`kwok of group ${group} is not running (${child?.exitCode ?? child?.signalCode}); ${log(group)}:\n${tail(log(group))}`);
  };

  const stopGroup = async (group: string): Promise<void> => {
    known(group);
    await terminate(processes.get(group), 'SIGKILL');
  };

  const addNodes = async (group: string, count: number, nodeOptions: AddNodesOptions = {}): Promise<string[]> => {
    known(group);
    const first = nodeCounts.get(group) ?? 0;
    nodeCounts.set(group, first + count);
    const groupIndex = options.groups.indexOf(group);
    const names = Array.from({ length: count }, (_, i) => `${group}-${first + i}`);
    await Promise.all(
      names.map((name, i) =>
        core.createNode({
          body: {
            metadata: {
              name,
              labels: {
                'kubernetes.io/hostname': name,
                'kubernetes.io/os': 'linux',
                'kubernetes.io/arch': 'amd64',
                'topology.kubernetes.io/region': 'test',
                [ZONE_LABEL]: nodeOptions.zone ?? group,
                [GROUP_LABEL]: group,
                ...nodeOptions.labels,
              },
              annotations: { [GROUP_ANNOTATION]: group, ...nodeOptions.annotations },
            },
            // What a kubelet registers with; kwok keeps capacity and addresses it finds.
            status: {
              capacity: { cpu: '32', memory: '128Gi', pods: '110' },
              allocatable: { cpu: '32', memory: '128Gi', pods: '110' },
              addresses: [
                // Clear of the service range (10.0.0.0/24) and the pod ranges (10.128.0.0/9).
                { type: 'InternalIP', address: `10.${64 + groupIndex}.${Math.floor((first + i) / 250)}.${((first + i) % 250) + 1}` },
                { type: 'Hostname', address: name },
              ],
            },
          },
        }),
      ),
    );
    await waitFor(
      `nodes ${names[0]}…${names.at(-1)} Ready (group ${group}, ${log(group)})`,
      async () => {
        alive(group);
        const list = await core.listNode({ labelSelector: `${GROUP_LABEL}=${group}` });
        const ready = new Set(
          list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata?.name),
        );
        return names.every((n) => ready.has(n)) ? true : undefined;
      },
      READY_TIMEOUT_MS,
    );
    return names;
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all([...processes.values()].map((p) => terminate(p)));
    await controlPlane.stop();
  };

  try {
    options.groups.forEach(startGroup);
  } catch (error) {
    await stop();
    throw error;
  }
  return { controlPlane, kubeConfig, addNodes, stopGroup, startGroup, stop };
}
