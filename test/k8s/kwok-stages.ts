/**
 * The kwok Stages of the kwok test cluster: what a kubelet would write for
 * its nodes and pods. kwok exits with "no stages found" unless its config
 * holds some; these start from the module's own files
 * (sigs.k8s.io/kwok@v0.8.0/kustomize/stage/: node/fast/node-initialize,
 * node/heartbeat-with-lease, pod/fast/pod-{ready,complete,delete}), with the
 * failures robosre must detect added, each selected by an annotation:
 *
 * - pod `kwok.robosre.test/failure: crash-loop` — the container runs 2 s, exits 1
 *   (Error), waits in CrashLoopBackOff for 5 s and starts again; restartCount rises.
 * - pod `kwok.robosre.test/failure: oom-kill` — the same, killed as OOMKilled (exit 137).
 * - pod `kwok.robosre.test/failure: image-pull` — the pod stays Pending, its
 *   container waiting ErrImagePull, then ImagePullBackOff for 5 s, then ErrImagePull again.
 * - node `kwok.robosre.test/disk-pressure: "true"` — DiskPressure=True; the real
 *   node lifecycle controller then taints the node `node.kubernetes.io/disk-pressure`.
 *   Removing the annotation clears it.
 *
 * The pod failure stages and kwok's own are disjoint (the annotation is
 * required by one and excluded by the other). A node whose pressure must
 * change also matches the heartbeat; kwok picks among matching stages by
 * weight, and only the pressure stages have one, so they always win.
 */

export const FAILURE_ANNOTATION = 'kwok.robosre.test/failure';
export const DISK_PRESSURE_ANNOTATION = 'kwok.robosre.test/disk-pressure';

export type PodFailure = 'crash-loop' | 'oom-kill' | 'image-pull';

/** How long a crash-looping container runs before it exits, and how long it then waits in back-off. */
const CRASH_LOOP = { runMs: 2_000, backOffMs: 5_000 } as const;
/** How long a failed pull waits in ImagePullBackOff before the next ErrImagePull. */
const IMAGE_PULL_BACK_OFF_MS = 5_000;

type Expression = { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] };

interface Stage {
  apiVersion: 'kwok.x-k8s.io/v1alpha1';
  kind: 'Stage';
  metadata: { name: string };
  spec: {
    resourceRef: { apiGroup: 'v1'; kind: 'Node' | 'Pod' };
    selector: { matchExpressions: Expression[] };
    delay?: { durationMilliseconds: number; jitterDurationMilliseconds?: number };
    weight?: number;
    next: { statusTemplate?: string; delete?: boolean };
    immediateNextStage?: boolean;
  };
}

const stage = (name: string, kind: 'Node' | 'Pod', matchExpressions: Expression[], next: Stage['spec']['next'], extra: Partial<Stage['spec']> = {}): Stage => ({
  apiVersion: 'kwok.x-k8s.io/v1alpha1',
  kind: 'Stage',
  metadata: { name },
  spec: { resourceRef: { apiGroup: 'v1', kind }, selector: { matchExpressions }, next, ...extra },
});

const annotation = (key: string): string => `.metadata.annotations["${key}"]`;
const notDeleted: Expression = { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' };
const phase = (value: string): Expression => ({ key: '.status.phase', operator: 'In', values: [value] });
const failure = (...values: PodFailure[]): Expression => ({ key: annotation(FAILURE_ANNOTATION), operator: 'In', values });
const noFailure: Expression = { key: annotation(FAILURE_ANNOTATION), operator: 'DoesNotExist' };
const waitingReason = (...values: string[]): Expression => ({ key: '.status.containerStatuses.[].state.waiting.reason', operator: 'In', values });

// --- Nodes.

/**
 * The node conditions kwok reports (its NodeConditions: Ready, no pressure),
 * with DiskPressure=True while the node has the disk-pressure annotation. A
 * condition keeps its lastTransitionTime until its status changes, as the kubelet's do.
 */
const NODE_CONDITIONS = `
{{ $now := Now }}
{{ $diskPressure := eq (index (or .metadata.annotations dict) "${DISK_PRESSURE_ANNOTATION}" | default "") "true" }}
{{ $current := dict }}
{{ range .status.conditions }}{{ $_ := set $current .type . }}{{ end }}
conditions:
{{ range NodeConditions }}
{{ $c := . }}
{{ if and (eq .type "DiskPressure") $diskPressure }}
{{ $c = dict "type" "DiskPressure" "status" "True" "reason" "KubeletHasDiskPressure" "message" "kubelet has disk pressure" }}
{{ end }}
{{ $old := index $current .type }}
- lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ if and $old (eq $old.status $c.status) }}{{ $old.lastTransitionTime | Quote }}{{ else }}{{ $now | Quote }}{{ end }}
  message: {{ $c.message | Quote }}
  reason: {{ $c.reason | Quote }}
  status: {{ $c.status | Quote }}
  type: {{ $c.type | Quote }}
{{ end }}
`;

// kwok's node-initialize, with NODE_CONDITIONS for its conditions.
const nodeInitialize = stage(
  'node-initialize',
  'Node',
  [{ key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: 'NotIn', values: ['True'] }],
  {
    statusTemplate: `${NODE_CONDITIONS}
{{ $hasInternalIP := false }}
{{ $hasHostname := false }}
{{ range .status.addresses }}
  {{ if eq .type "InternalIP" }}{{ $hasInternalIP = true }}{{ end }}
  {{ if eq .type "Hostname" }}{{ $hasHostname = true }}{{ end }}
{{ end }}
{{ if or (not $hasInternalIP) (not $hasHostname) }}
addresses:
{{ end }}
{{ if not $hasInternalIP }}{{ with NodeIP }}
- address: {{ . | Quote }}
  type: InternalIP
{{ end }}{{ end }}
{{ if not $hasHostname }}{{ with NodeName }}
- address: {{ . | Quote }}
  type: Hostname
{{ end }}{{ end }}
{{ with NodePort }}
daemonEndpoints:
  kubeletEndpoint:
    Port: {{ . }}
{{ end }}
allocatable:
{{ with .status.allocatable }}
{{ YAML . 1 }}
{{ else }}
  cpu: 1k
  memory: 1Ti
  pods: 1M
{{ end }}
capacity:
{{ with .status.capacity }}
{{ YAML . 1 }}
{{ else }}
  cpu: 1k
  memory: 1Ti
  pods: 1M
{{ end }}
{{ $nodeInfo := .status.nodeInfo }}
{{ $kwokVersion := printf "kwok-%s" Version }}
nodeInfo:
  architecture: {{ or $nodeInfo.architecture "amd64" }}
  bootID: {{ or $nodeInfo.bootID \`""\` }}
  containerRuntimeVersion: {{ or $nodeInfo.containerRuntimeVersion $kwokVersion }}
  kernelVersion: {{ or $nodeInfo.kernelVersion $kwokVersion }}
  kubeProxyVersion: {{ or $nodeInfo.kubeProxyVersion $kwokVersion }}
  kubeletVersion: {{ or $nodeInfo.kubeletVersion $kwokVersion }}
  machineID: {{ or $nodeInfo.machineID \`""\` }}
  operatingSystem: {{ or $nodeInfo.operatingSystem "linux" }}
  osImage: {{ or $nodeInfo.osImage \`""\` }}
  systemUUID: {{ or $nodeInfo.systemUUID \`""\` }}
phase: Running
`,
  },
);

const nodeReady: Expression[] = [
  phase('Running'),
  { key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: 'In', values: ['True'] },
];
const diskPressureIs = (status: 'True' | 'False'): Expression => ({
  key: '.status.conditions.[] | select( .type == "DiskPressure" ) | .status',
  operator: 'In',
  values: [status],
});

// kwok's node-heartbeat-with-lease: the lease (kwok's --node-lease-duration-seconds)
// is the heartbeat; the status is rewritten every 10 minutes, as the kubelet's is every 5.
const nodeHeartbeat = stage('node-heartbeat-with-lease', 'Node', nodeReady, { statusTemplate: NODE_CONDITIONS }, {
  delay: { durationMilliseconds: 600_000, jitterDurationMilliseconds: 610_000 },
});

// The kubelet reports a pressure change at once, not at the next heartbeat.
const nodeDiskPressureOn = stage(
  'robosre-node-disk-pressure',
  'Node',
  [...nodeReady, { key: annotation(DISK_PRESSURE_ANNOTATION), operator: 'In', values: ['true'] }, diskPressureIs('False')],
  { statusTemplate: NODE_CONDITIONS },
  { weight: 1 },
);
const nodeDiskPressureOff = stage(
  'robosre-node-disk-pressure-cleared',
  'Node',
  [...nodeReady, { key: annotation(DISK_PRESSURE_ANNOTATION), operator: 'NotIn', values: ['true'] }, diskPressureIs('True')],
  { statusTemplate: NODE_CONDITIONS },
  { weight: 1 },
);

// --- Pods.

const POD_IPS = `
{{ $hostIPs := NodeIPsWith .spec.nodeName }}
{{ with $hostIPs }}
hostIP: {{ index . 0 | Quote }}
hostIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
{{ $podIPs := PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
{{ with $podIPs }}
podIP: {{ index . 0 | Quote }}
podIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
`;

// kwok's pod-ready, for pods without a failure annotation.
const podReady = stage(
  'pod-ready',
  'Pod',
  [notDeleted, noFailure, phase('Pending'), { key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: 'NotIn', values: ['True'] }],
  {
    statusTemplate: `
{{ $now := Now }}
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: ContainersReady
{{ range .spec.readinessGates }}
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: {{ .conditionType | Quote }}
{{ end }}
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: true
  restartCount: 0
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
initContainerStatuses:
{{ range .spec.initContainers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: true
  restartCount: 0
  {{ if eq .restartPolicy "Always" }}
  started: true
  state:
    running:
      startedAt: {{ $now | Quote }}
  {{ else }}
  state:
    terminated:
      exitCode: 0
      finishedAt: {{ $now | Quote }}
      reason: Completed
      startedAt: {{ $now | Quote }}
  {{ end }}
{{ end }}
${POD_IPS}
phase: Running
startTime: {{ $now | Quote }}
`,
  },
);

// kwok's pod-complete: a Job's pod succeeds once running.
const podComplete = stage(
  'pod-complete',
  'Pod',
  [notDeleted, noFailure, phase('Running'), { key: '.metadata.ownerReferences.[].kind', operator: 'In', values: ['Job'] }],
  {
    statusTemplate: `
{{ $now := Now }}
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  restartCount: 0
  started: false
  state:
    terminated:
      exitCode: 0
      finishedAt: {{ $now | Quote }}
      reason: Completed
      startedAt: {{ $now | Quote }}
{{ end }}
phase: Succeeded
`,
  },
);

// kwok's pod-delete: a deleted pod goes once its node's kwok sees it (the
// kubelet's part); on a node whose kwok is stopped it stays Terminating.
const podDelete = stage('pod-delete', 'Pod', [{ key: '.metadata.deletionTimestamp', operator: 'Exists' }], { delete: true });

// A status patch merges conditions by type but replaces containerStatuses
// whole (the list has no merge key): every stage writes each container's
// status in full, carrying restartCount and lastState over.
const NOT_READY_CONDITIONS = `
conditions:
- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ContainersNotReady
  type: ContainersReady
`;

// Crash loop and OOM kill: Pending → running → exited, CrashLoopBackOff (restartCount + 1) → running → …
const crashStart = stage('robosre-pod-crash-loop-start', 'Pod', [notDeleted, failure('crash-loop', 'oom-kill'), phase('Pending')], {
  statusTemplate: `
{{ $now := Now }}
${NOT_READY_CONDITIONS}
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  restartCount: 0
  started: true
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
${POD_IPS}
phase: Running
startTime: {{ $now | Quote }}
`,
});

const crashExit = stage(
  'robosre-pod-crash-loop-exit',
  'Pod',
  [notDeleted, failure('crash-loop', 'oom-kill'), phase('Running'), { key: '.status.containerStatuses.[].state.running', operator: 'Exists' }],
  {
    statusTemplate: `
{{ $now := Now }}
{{ $oom := eq (index .metadata.annotations "${FAILURE_ANNOTATION}") "oom-kill" }}
{{ $pod := . }}
containerStatuses:
{{ range $i, $c := .status.containerStatuses }}
- name: {{ $c.name | Quote }}
  image: {{ $c.image | Quote }}
  imageID: ""
  ready: false
  started: false
  restartCount: {{ add1 $c.restartCount }}
  lastState:
    terminated:
      exitCode: {{ if $oom }}137{{ else }}1{{ end }}
      reason: {{ if $oom }}OOMKilled{{ else }}Error{{ end }}
      startedAt: {{ $c.state.running.startedAt | Quote }}
      finishedAt: {{ $now | Quote }}
  state:
    waiting:
      reason: CrashLoopBackOff
      message: {{ printf "back-off %ds restarting failed container=%s pod=%s_%s(%s)" ${CRASH_LOOP.backOffMs / 1000} $c.name $pod.metadata.name $pod.metadata.namespace $pod.metadata.uid | Quote }}
{{ end }}
`,
  },
  { delay: { durationMilliseconds: CRASH_LOOP.runMs } },
);

const crashRestart = stage(
  'robosre-pod-crash-loop-restart',
  'Pod',
  [notDeleted, failure('crash-loop', 'oom-kill'), phase('Running'), waitingReason('CrashLoopBackOff')],
  {
    statusTemplate: `
{{ $now := Now }}
containerStatuses:
{{ range .status.containerStatuses }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: false
  started: true
  restartCount: {{ .restartCount }}
  lastState: {{ toJson .lastState }}
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
`,
  },
  { delay: { durationMilliseconds: CRASH_LOOP.backOffMs } },
);

// Image pull failure: Pending, ErrImagePull → ImagePullBackOff → ErrImagePull → …
const ERR_IMAGE_PULL = {
  reason: 'ErrImagePull',
  message: '{{ printf "failed to pull and unpack image %q: failed to resolve reference %q: not found" .image .image | Quote }}',
};
const IMAGE_PULL_BACK_OFF = { reason: 'ImagePullBackOff', message: '{{ printf "Back-off pulling image %q" .image | Quote }}' };
/** The containers' statuses while their image cannot be pulled. */
const pullStatuses = (waiting: { reason: string; message: string }): string => `
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  imageID: ""
  name: {{ .name | Quote }}
  ready: false
  restartCount: 0
  started: false
  state:
    waiting:
      reason: ${waiting.reason}
      message: ${waiting.message}
{{ end }}
`;

const pullFailed = stage(
  'robosre-pod-image-pull-failed',
  'Pod',
  [notDeleted, failure('image-pull'), phase('Pending'), { key: '.status.containerStatuses', operator: 'DoesNotExist' }],
  {
    statusTemplate: `
{{ $now := Now }}
${NOT_READY_CONDITIONS}
${pullStatuses(ERR_IMAGE_PULL)}
${POD_IPS}
startTime: {{ $now | Quote }}
`,
  },
);

// The next two only change the waiting state: a pod's IPs are written once.
const pullWait = (name: string, from: string, to: { reason: string; message: string }, delayMs: number): Stage =>
  stage(
    name,
    'Pod',
    [notDeleted, failure('image-pull'), phase('Pending'), waitingReason(from)],
    {
      statusTemplate: pullStatuses(to),
    },
    { delay: { durationMilliseconds: delayMs } },
  );
const pullBackOff = pullWait('robosre-pod-image-pull-back-off', 'ErrImagePull', IMAGE_PULL_BACK_OFF, 1_000);
const pullRetried = pullWait('robosre-pod-image-pull-retried', 'ImagePullBackOff', ERR_IMAGE_PULL, IMAGE_PULL_BACK_OFF_MS);

/** Every stage, as the multi-document YAML kwok's --config takes (JSON is YAML). */
export function stagesYaml(): string {
  return [
    nodeInitialize,
    nodeHeartbeat,
    nodeDiskPressureOn,
    nodeDiskPressureOff,
    podReady,
    podComplete,
    podDelete,
    crashStart,
    crashExit,
    crashRestart,
    pullFailed,
    pullBackOff,
    pullRetried,
  ]
    .map((s) => JSON.stringify(s, null, 2))
    .join('\n---\n');
}
