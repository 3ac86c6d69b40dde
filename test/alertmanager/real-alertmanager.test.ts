/**
 * The real Alertmanager in front of the real intake: alerts pushed through
 * Alertmanager's own API, grouped and sent by its webhook notifier with
 * bearer credentials. Deadlines bound every wait; no timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settings } from '../engine/harness.js';
import { startAlertmanager, type Alertmanager, type PostableAlert } from './alertmanager-process.js';
import { startIntake, waitFor, type Intake } from './intake.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { outboxFor } from '../../src/store/outbox.repo.js';

const TOKEN = 'real-alertmanager-bearer-token';

let intake: Intake;
let alertmanager: Alertmanager;

beforeAll(async () => {
  intake = await startIntake({ settings: settings(), auth: { kind: 'bearer', token: TOKEN } });
  alertmanager = await startAlertmanager({
    webhookUrl: intake.webhookUrl,
    token: TOKEN,
    groupBy: ['alertname'],
    otherReceivers: [{ name: 'intruder', token: 'not-the-token' }],
  });
});

afterAll(async () => {
  await alertmanager?.stop();
  await intake?.close();
});

const startedAt = new Date(Date.now() - 60_000).toISOString();

function alert(labels: Record<string, string>): PostableAlert {
  return { labels, annotations: { summary: `${labels.alertname} from the test` }, startsAt: startedAt, generatorURL: 'http://prometheus.test/graph' };
}

/** Alertmanager resolves an alert posted again with an end in the past. */
function resolve(a: PostableAlert): PostableAlert {
  return { ...a, endsAt: new Date(Date.now() - 100).toISOString() };
}

const bySubject = (subject: string) => () => {
  const found = intake.incidents().filter((i) => i.subject === subject);
  return found.length > 0 ? found : undefined;
};

describe('real Alertmanager → POST /webhook/alertmanager', { timeout: 60_000 }, () => {
  it('opens an incident for an alert pushed into Alertmanager', async () => {
    await alertmanager.push([alert({ alertname: 'KubeNodeNotReady', node: 'worker-7', severity: 'critical' })]);
    const [incident] = await waitFor('the node incident', bySubject('prod.node.worker-7'));
    expect(incident).toMatchObject({ incidentType: 'node_unreachable_or_notready', severity: 'critical', trigger: 'alertmanager' });
    expect(intake.statuses).toContain(200);
  });

  it('correlates repeats into one incident and resolves it when Alertmanager resolves the alerts', async () => {
    const app = alert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'api-1', container: 'app', severity: 'warning' });
    const sidecar = alert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'api-1', container: 'sidecar', severity: 'warning' });
    await alertmanager.push([app]);
    await waitFor('the pod incident', bySubject('prod.pod.shop.api-1'));
    await alertmanager.push([sidecar]);
    // The group is sent again with both alerts: the first is a resend, the second a repeat on the same pod.
    await waitFor('the second container to correlate', () => (bySubject('prod.pod.shop.api-1')()?.[0]?.occurrences === 2 ? true : undefined));
    const forPod = intake.ingested.filter((e) => e.signal.subject === 'prod.pod.shop.api-1');
    expect(forPod.map((e) => e.result.outcome)).toEqual(expect.arrayContaining(['created', 'duplicate', 'correlated']));
    expect(bySubject('prod.pod.shop.api-1')()).toHaveLength(1);

    await alertmanager.push([resolve(app), resolve(sidecar)]);
    const resolved = await waitFor('the pod incident to resolve', () => {
      const incident = bySubject('prod.pod.shop.api-1')()?.[0];
      return incident?.status === 'resolved' ? incident : undefined;
    });
    expect(resolved.lastSignalStatus).toBe('resolved');
    expect(bySubject('prod.pod.shop.api-1')()).toHaveLength(1);
  });

  it('takes nothing from a sender without the right credentials', async () => {
    await alertmanager.push([alert({ alertname: 'IntruderAlert', receiver: 'intruder', namespace: 'shop' })]);
    await waitFor('Alertmanager to be refused', () => (intake.statuses.includes(401) ? true : undefined));
    expect(intake.incidents().filter((i) => i.subject.includes('IntruderAlert'))).toEqual([]);
  });

  it('makes the 40 nodes of one alert group one storm: one conversation, no cordon asked, and it resolves with its alerts', async () => {
    // A robosre of its own, waiting as in production before it judges, so the group's alerts are judged together.
    const own = await startIntake({ settings: settings({ environment: 'production', analysisDelayMs: 5_000 }), auth: { kind: 'bearer', token: TOKEN } });
    const am = await startAlertmanager({ webhookUrl: own.webhookUrl, token: TOKEN, groupBy: ['alertname'] });
    try {
      const nodes = Array.from({ length: 40 }, (_, i) => alert({ alertname: 'KubeNodeNotReady', node: `storm-${i}`, severity: 'critical' }));
      await am.push(nodes);
      const storm = await waitFor('the storm of the group', () => {
        const found = own.incidents().find((i) => i.subjectType === 'storm');
        return found && own.incidents().filter((i) => i.parentId === found.id).length === 40 ? found : undefined;
      });
      expect(storm.evidenceSummary).toMatch(/^storm: 40 alerts of Alertmanager group \{alertname="KubeNodeNotReady"\}/);
      await waitFor('the storm planned', () => (outboxFor(own.store.db, storm.id).some((o) => o.payload.type === 'plan_note') ? true : undefined), 30_000);
      const opened = own.incidents().filter((i) => outboxFor(own.store.db, i.id).some((o) => o.payload.type === 'incident_opened'));
      expect(opened.map((i) => i.id)).toEqual([storm.id]);
      expect(own.incidents().flatMap((i) => actionsRepo.listApprovals(own.store.db, i.id))).toEqual([]);
      expect(String(outboxFor(own.store.db, storm.id).find((o) => o.payload.type === 'plan_note')?.payload.text)).toMatch(/^cordon none: 40 nodes failing at once/);

      await am.push(nodes.map(resolve));
      await waitFor('the storm to resolve with its alerts', () => (own.incidents().find((i) => i.id === storm.id)?.status === 'resolved' ? true : undefined), 60_000);
      expect(own.incidents().filter((i) => i.parentId === storm.id).every((i) => i.status === 'resolved')).toBe(true);
    } finally {
      await am.stop();
      await own.close();
    }
  });
});
