/**
 * Operator rules taking effect in a running robosre: a real engine on a real SQLite file, and
 * for routing the real dispatcher and channels against the Slack and Telegram emulators.
 * Time comes from an injected clock; every assert waits for the state it checks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compileRuleSet, parseOperatorRule, type RuleSet } from '../../policies/index.js';
import * as actionsRepo from '../../src/store/actions.repo.js';
import { deliveriesFor } from '../../src/store/deliveries.repo.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import { outboxFor } from '../../src/store/outbox.repo.js';
import { waitFor } from '../support/wait-for.js';
import { CHAT, SLACK_CHANNEL, startWorld, type World } from '../chat/world.js';
import { createHarness, diskPressure, signal, type Harness } from './harness.js';

const MIN = 60_000;
const rule = (extra: Record<string, unknown>) => parseOperatorRule({ name: 'scenario', enabled: true, environmentScope: ['demo'], owner: 'sre', version: 1, ...extra });

describe('rules in the engine', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('raises pod_pending_too_long to critical after 10 minutes, from a rule set swapped in while the incident is open', async () => {
    let current: RuleSet = compileRuleSet([]);
    h = createHarness({ rules: () => current });
    const pending = (id: string) => signal({ id, incidentType: 'pod_pending_too_long', subject: 'prod.pod.shop.api-1', target: 'deployment/shop/api', severity: 'warning', confidence: 'high' });
    const { incidentId } = h.engine.ingest(pending('p1'));
    await h.settle();
    const severity = () => incidentsRepo.getIncident(h!.store.db, incidentId!)!.severity;
    expect(severity()).toBe('warning');
    // No restart: the next review reads the new set through the same getter.
    current = compileRuleSet([rule({ id: 'pending-critical', incidentType: 'pod_pending_too_long', severityEscalation: [{ to: 'critical', afterMinutes: 10 }] })]);
    await h.advance(9 * MIN);
    expect(severity()).toBe('warning');
    await h.advance(90_000);
    expect(severity()).toBe('critical');
    const raised = incidentsRepo.timeline(h.store.db, incidentId!).find((e) => e.kind === 'severity_raised')!;
    expect(raised.summary).toBe('severity raised from warning to critical: rule pending-critical escalates to critical: open for 10 min or more');
    expect(outboxFor(h.store.db, incidentId!).map((o) => o.key)).toContain(`incident:${incidentId}:severity:critical`);
    // A repeat reporting warning does not lower it.
    h.engine.ingest(pending('p2'));
    await h.settle();
    expect(severity()).toBe('critical');
  });

  it('sets a rule\'s severity when the incident opens, for matching incidents only', async () => {
    h = createHarness({ rules: () => compileRuleSet([rule({ id: 'batch-info', incidentType: 'crash_loop_backoff', signalSelector: { namespaces: ['batch'] }, severity: 'info' })]) });
    const crash = (ns: string) => h!.engine.ingest(signal({ id: ns, incidentType: 'crash_loop_backoff', subject: `prod.pod.${ns}.x-1`, target: `deployment/${ns}/x`, severity: 'warning', confidence: 'high' })).incidentId!;
    const [batch, shop] = [crash('batch'), crash('shop')];
    await h.settle();
    expect(incidentsRepo.getIncident(h.store.db, batch)!.severity).toBe('info');
    expect(incidentsRepo.getIncident(h.store.db, shop)!.severity).toBe('warning');
    expect(incidentsRepo.timeline(h.store.db, batch).find((e) => e.kind === 'rule')?.summary).toBe('rule batch-info sets severity info');
  });

  it('still raises an incident whose rule fails at runtime, says so, and runs no automatic action', async () => {
    const broken = rule({ id: 'owner-only', incidentType: 'node_disk_pressure', thresholdExpression: 'labels.owner == "sre"', allowedActionProfile: { deny: ['cordon_node'] } });
    h = createHarness({ rules: () => compileRuleSet([broken]) });
    const { outcome, incidentId } = h.engine.ingest(diskPressure());
    expect(outcome).toBe('created');
    await h.settle();
    const events = incidentsRepo.timeline(h.store.db, incidentId!);
    expect(events.filter((e) => e.kind === 'rule').map((e) => e.summary)).toEqual([
      'rule owner-only (v1) could not be evaluated: thresholdExpression: no_such_key: No such key: owner; the rule is skipped for notification and nothing mutating runs automatically while it fails',
    ]);
    const messages = outboxFor(h.store.db, incidentId!).map((o) => o.payload.type);
    expect(messages).toEqual(expect.arrayContaining(['incident_opened', 'rule_failed']));
    // Only the read-only evidence collection ran; every containment now waits for a human.
    expect(h.journal().map((e) => e.action)).toEqual(['collect_evidence']);
    const cleanup = actionsRepo.listActions(h.store.db, incidentId!).find((a) => a.actionId === 'delete_completed_pods')!;
    expect(cleanup.decision).toBe('needs_approval');
    expect(cleanup.reasons.join(' ')).toMatch(/rule owner-only could not be evaluated .* failing closed/);
  });
});

describe('rules routing conversations', () => {
  let w: World | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  it('suppresses crash-looping batch pods at night, summarises when the night ends, and routes them to Slack only by day', async () => {
    // A clock that runs, set to the hour the scenario needs: pacing between sends needs time to pass.
    let shift = 0;
    const setClock = (iso: string) => (shift = Date.parse(iso) - Date.now());
    const now = () => Date.now() + shift;
    setClock('2026-01-12T12:00:00Z'); // 13:00 in Berlin
    const batch = rule({
      id: 'batch-crashloops',
      incidentType: 'crash_loop_backoff',
      signalSelector: { namespaces: ['batch'] },
      notificationPolicy: { channels: ['slack'], mentions: ['@batch-oncall'] },
      suppressionSchedule: [{ from: '22:00', to: '07:00', timeZone: 'Europe/Berlin' }],
    });
    w = await startWorld({ slack: {}, clock: { now }, config: { routing: { default: ['telegram', 'slack'] }, rules: [batch] } });
    const world = w;
    const db = world.runtime.store.db;
    const crash = (ns: string, pod: string) =>
      world.runtime.engine.ingest(signal({ id: `${ns}/${pod}`, incidentType: 'crash_loop_backoff', subject: `prod.pod.${ns}.${pod}`, target: `deployment/${ns}/${pod.replace(/-\d+$/, '')}`, confidence: 'high', observedAt: now() })).incidentId!;
    const slackAbout = (subject: string) => world.slack.messages(SLACK_CHANNEL).filter((m) => `${m.text} ${JSON.stringify(m.blocks)}`.includes(subject));
    const telegramAbout = (subject: string) => world.emu.messages(CHAT).filter((m) => m.text.includes(subject));

    // By day: the batch pod goes to Slack only, naming who the rule mentions; a shop pod keeps the default route (Telegram first).
    const day = crash('batch', 'report-1');
    const shop = crash('shop', 'api-1');
    const root = await waitFor('the batch thread on Slack', () => slackAbout('prod.pod.batch.report-1')[0]);
    expect(`${root.text} ${JSON.stringify(root.blocks)}`).toContain('@batch-oncall');
    await waitFor('the shop thread on Telegram', () => telegramAbout('prod.pod.shop.api-1')[0]);
    await world.runtime.dispatcher.idle();
    expect(telegramAbout('prod.pod.batch.report-1')).toEqual([]);
    expect(slackAbout('prod.pod.shop.api-1')).toEqual([]);
    expect(deliveriesFor(db, day).filter((d) => d.op === 'open').map((d) => d.channel)).toEqual(['slack']);
    expect(deliveriesFor(db, shop).filter((d) => d.op === 'open').map((d) => d.channel)).toEqual(['telegram']);

    // At night: recorded, not notified.
    setClock('2026-01-12T23:00:00Z'); // 00:00 in Berlin
    const night = crash('batch', 'report-2');
    await waitFor('the opening held back', () => incidentsRepo.timeline(db, night).find((e) => e.kind === 'message' && e.summary.includes('held back (suppressed by rule batch-crashloops until 2026-01-13T06:00:00.000Z')));
    await world.runtime.dispatcher.idle();
    expect(incidentsRepo.getIncident(db, night)).toBeDefined();
    expect(slackAbout('prod.pod.batch.report-2')).toEqual([]);
    expect(telegramAbout('prod.pod.batch.report-2')).toEqual([]);
    expect(deliveriesFor(db, night).every((d) => d.status === 'suppressed' || d.op === 'edit_root' || d.channel === 'console')).toBe(true);

    // Morning: one summary in a thread opened on Slack.
    setClock('2026-01-13T06:00:01Z');
    world.runtime.dispatcher.kick();
    const summary = await waitFor('the summary on Slack', () => world.slack.messages(SLACK_CHANNEL).find((m) => m.text.includes('Held back by rule batch-crashloops')));
    expect(summary.text).toMatch(/quiet window 22:00–07:00 Europe\/Berlin\) from 23:00 UTC to 06:00 UTC: \d+ messages? recorded but not sent/);
    await waitFor('the night incident\'s thread root on Slack', () => slackAbout('prod.pod.batch.report-2')[0]);
    expect(telegramAbout('prod.pod.batch.report-2')).toEqual([]);
  });

  it('refuses a rule routing to a channel that is not configured, with its path', async () => {
    const bad = { id: 'wa', name: 'x', enabled: true, incidentType: 'crash_loop_backoff', environmentScope: ['demo'], owner: 'sre', version: 1, notificationPolicy: { bySeverity: { critical: { channels: ['whatsapp'] } } } };
    await expect(startWorld({ config: { rules: [bad] } })).rejects.toThrow(/rules\.0\.notificationPolicy\.bySeverity\.critical\.channels\.0: channel "whatsapp" is not configured under channels/);
  });
});
