/**
 * The seed's metrics in Prometheus text format. Values are read from the store
 * at scrape time, so they are exact and survive restarts; the Kubernetes
 * watches' health (`ops_watch_*`, one series per watch) is read from the
 * watcher, and counts since this process started.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { WatchReport } from '../detectors/kubernetes/kube-state.js';
import type { Db } from '../store/db.js';
import { storeCounts, type StoreCounts } from '../store/metrics.repo.js';

type Scalar = Exclude<keyof StoreCounts, 'byTypeAndStatus' | 'open'>;

const COUNTERS: [string, string, Scalar][] = [
  ['ops_incidents_resolved_total', 'Incidents currently resolved.', 'resolved'],
  ['ops_auto_remediations_total', 'Automatic write actions executed.', 'autoRemediations'],
  ['ops_auto_remediations_failed_total', 'Automatic write actions that failed.', 'autoRemediationsFailed'],
  ['ops_approvals_requested_total', 'Approval prompts requested.', 'approvalsRequested'],
  ['ops_approvals_granted_total', 'Approvals granted.', 'approvalsGranted'],
  ['ops_approvals_denied_total', 'Approvals denied.', 'approvalsDenied'],
  ['ops_policy_suppressions_total', 'Actions the policy denied or blocked.', 'policySuppressions'],
  ['ops_chat_delivery_failures_total', 'Failed chat delivery attempts.', 'deliveryFailures'],
  ['ops_alertmanager_alerts_refused_total', 'Alerts the Alertmanager receiver refused alone (malformed or unmappable); the rest of each notification was ingested.', 'alertsRefused'],
];

export interface Metrics {
  contentType: string;
  /** Reads the store once and renders every metric from that one snapshot. */
  scrape(): Promise<string>;
}

const WATCH_COUNTERS: [string, string, (w: WatchReport) => number][] = [
  ['ops_watch_remakes_total', 'WATCH requests after the first: server timeouts, given-up connections, retries.', (w) => Math.max(0, w.watches - 1)],
  ['ops_watch_lists_total', 'LISTs answered: the first and one after each 410 Gone (a failed one counts as a failure).', (w) => w.lists],
  ['ops_watch_failures_total', 'Failed LIST or WATCH attempts.', (w) => w.failures],
];

/** `watches`: the Kubernetes watches' health at scrape time; none without a cluster. */
export function createMetrics(db: Db, watches: () => WatchReport[] = () => []): Metrics {
  const registry = new Registry();
  let watchSnapshot: WatchReport[] | undefined;
  const reports = (): WatchReport[] => (watchSnapshot ??= watches());
  new Gauge({
    name: 'ops_watch_last_heard_age_seconds',
    help: 'Seconds since the watch last heard an event, a bookmark or an accepted (re)connection.',
    labelNames: ['watch'],
    registers: [registry],
    collect() {
      this.reset();
      for (const w of reports()) if (w.heardAgoMs !== null) this.set({ watch: w.name }, w.heardAgoMs / 1000);
    },
  });
  new Gauge({
    name: 'ops_watch_stale',
    help: '1 while the watch is failing for watchFailingAfter or unheard for watchSilentAfter: what robosre knows of it may be out of date.',
    labelNames: ['watch'],
    registers: [registry],
    collect() {
      this.reset();
      for (const w of reports()) this.set({ watch: w.name }, w.stale ? 1 : 0);
    },
  });
  for (const [name, help, value] of WATCH_COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ['watch'],
      registers: [registry],
      collect() {
        this.reset();
        for (const w of reports()) this.inc({ watch: w.name }, value(w));
      },
    });
  }
  let snapshot: StoreCounts | undefined;
  const counts = (): StoreCounts => (snapshot ??= storeCounts(db));
  new Gauge({
    name: 'ops_incidents_open_total',
    help: 'Incidents currently open (observed, triaged, contained, recovering, escalated).',
    registers: [registry],
    collect() {
      this.set(counts().open);
    },
  });
  new Gauge({
    name: 'ops_incidents_by_type',
    help: 'Incidents by type and status.',
    labelNames: ['incident_type', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const row of counts().byTypeAndStatus) this.set({ incident_type: row.incidentType, status: row.status }, row.n);
    },
  });
  for (const [name, help, key] of COUNTERS) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counts()[key]);
      },
    });
  }
  return {
    contentType: registry.contentType,
    scrape: async () => {
      snapshot = undefined;
      watchSnapshot = undefined;
      return registry.metrics();
    },
  };
}
