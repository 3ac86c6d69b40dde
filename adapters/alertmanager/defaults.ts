/**
 * The default mapping: the kube-prometheus-stack / kubernetes-mixin and
 * node-exporter alerts that correspond to a taxonomy class. The reasoning
 * for each row is in docs/alertmanager.md; keep the two in step.
 */
import type { AlertMapping } from './mapping.js';

/** node-exporter alerts carry `instance`; a `node` or `nodename` label exists only where relabelling adds one. */
const EXPORTER_NODE = '{{ or $labels.node $labels.nodename $labels.instance | stripPort }}';

const onPod = {
  subject: { type: 'pod', resource: '{{ $labels.namespace }}.{{ $labels.pod }}' },
  target: 'pod/{{ $labels.namespace }}/{{ $labels.pod }}',
  node: '{{ $labels.node }}',
};
const onNode = { subject: { type: 'node', resource: '{{ $labels.node }}' }, target: 'node/{{ $labels.node }}' };
const onExporterNode = { subject: { type: 'node', resource: EXPORTER_NODE }, target: `node/${EXPORTER_NODE}` };

function persistentVolume(alertname: string): AlertMapping {
  return {
    match: { alertname },
    incidentType: 'generic',
    subject: { type: 'alert', resource: `${alertname}.{{ $labels.namespace }}.{{ $labels.persistentvolumeclaim }}` },
    target: 'persistentvolumeclaim/{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }}',
    confidence: 'high',
  };
}

export const DEFAULTS: AlertMapping[] = [
  { match: { alertname: 'KubePodCrashLooping' }, incidentType: 'crash_loop_backoff', ...onPod, confidence: 'high' },
  {
    match: { alertname: 'KubeContainerWaiting' },
    matchRegex: { reason: 'ErrImagePull|ImagePullBackOff' },
    incidentType: 'registry_pull_failure',
    ...onPod,
    confidence: 'high',
  },
  { match: { alertname: 'KubeContainerWaiting' }, incidentType: 'pod_pending_too_long', ...onPod, confidence: 'medium' },
  { match: { alertname: 'KubePodNotReady' }, incidentType: 'pod_pending_too_long', ...onPod, confidence: 'medium' },
  { match: { alertname: 'KubeNodeNotReady' }, incidentType: 'node_unreachable_or_notready', ...onNode, confidence: 'high' },
  { match: { alertname: 'KubeNodeUnreachable' }, incidentType: 'node_unreachable_or_notready', ...onNode, confidence: 'high' },
  {
    match: { alertname: 'KubeDeploymentReplicasMismatch' },
    incidentType: 'deployment_replicas_mismatch',
    subject: { type: 'deployment', resource: '{{ $labels.namespace }}.{{ $labels.deployment }}' },
    target: 'deployment/{{ $labels.namespace }}/{{ $labels.deployment }}',
    confidence: 'high',
  },
  {
    match: { alertname: 'KubeJobFailed' },
    incidentType: 'background_job_buildup',
    subject: { type: 'namespace', resource: '{{ $labels.namespace }}' },
    target: 'job/{{ $labels.namespace }}/{{ $labels.job_name }}',
    confidence: 'medium',
  },
  { match: { alertname: 'KubeNodeDiskPressure' }, incidentType: 'node_disk_pressure', ...onNode, confidence: 'high' },
  { match: { alertname: 'KubeNodePressure', condition: 'DiskPressure' }, incidentType: 'node_disk_pressure', ...onNode, confidence: 'high' },
  { match: { alertname: 'NodeFilesystemAlmostOutOfSpace' }, incidentType: 'node_disk_pressure', ...onExporterNode, confidence: 'high' },
  { match: { alertname: 'NodeFilesystemAlmostOutOfFiles' }, incidentType: 'node_disk_pressure', ...onExporterNode, confidence: 'high' },
  { match: { alertname: 'NodeFilesystemSpaceFillingUp' }, incidentType: 'node_disk_pressure', ...onExporterNode, confidence: 'medium' },
  { match: { alertname: 'NodeFilesystemFilesFillingUp' }, incidentType: 'node_disk_pressure', ...onExporterNode, confidence: 'medium' },
  persistentVolume('KubePersistentVolumeFillingUp'),
  persistentVolume('KubePersistentVolumeInodesFillingUp'),
  {
    match: { alertname: 'TargetDown' },
    incidentType: 'runtime_dependency_outage',
    subject: { type: 'service', resource: '{{ $labels.namespace }}.{{ $labels.job }}' },
    target: 'service/{{ $labels.namespace }}/{{ $labels.service }}',
    confidence: 'medium',
  },
];
