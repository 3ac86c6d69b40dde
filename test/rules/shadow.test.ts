/**
 * Shadow mode on two real servers over real SQLite files, on the same injected
 * clock and the same incident stream: one has a shadow rule that would deny
 * the automatic cleanups and raise the severity. The robot must do exactly the
 * same in both (actions, executor journal, incidents, timelines, messages,
 * approvals), and the shadow server records where the rule would have differed,
 * once per rule version and incident. Promotion makes it live through the guards.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { diskPressure, signal } from '../engine/harness.js';
import { FUZZ_TOKENS, startFuzzServer, type FuzzServer } from '../fuzz/harness.js';
import { waitFor } from '../support/wait-for.js';
import type { ShadowReport } from '../../src/rules/shadow.js';

const BOB = { name: 'bob', token: 'second-admin-token', role: 'admin' as const };
const ADA = { authorization: `Bearer ${FUZZ_TOKENS.admin.token}` };
const SECOND = { authorization: `Bearer ${BOB.token}` };
const VIEWER = { authorization: `Bearer ${FUZZ_TOKENS.viewer.token}` };
const NOW = Date.now();

const SHADOW = {
  id: 'disk-hands-off',
  name: 'no cleanups on disk pressure, and it is critical',
  enabled: true,
  mode: 'shadow',
  incidentType: 'node_disk_pressure',
  environmentScope: ['demo'],
  severity: 'critical',
  allowedActionProfile: { deny: ['delete_completed_pods', 'suspend_cronjob', 'scale_to_zero'] },
  owner: 'sre',
};

let plain: FuzzServer;
let shadowed: FuzzServer;
const start = () => startFuzzServer({ clock: { now: () => NOW }, config: { environment: 'demo', auth: { tokens: [...Object.values(FUZZ_TOKENS), BOB] } } });

/** What the robot did: every table but the rules' own, and the executor's journal; each installation's random id and the random approval codes masked. */
function behaviour(server: FuzzServer): Record<string, unknown> {
  const s = server.snapshot() as Record<string, unknown>;
  const journal = join(server.dir, 'actions.ndjson');
  const did = {
    ...Object.fromEntries(['incidents', 'incident_events', 'actions', 'approvals', 'approval_votes', 'outbox', 'threads', 'deliveries'].map((t) => [t, s[t]])),
    journal: existsSync(journal) ? readFileSync(journal, 'utf8') : '',
  };
  const masked = JSON.stringify(did)
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'installation')
    .replace(/(code\\?"\s*:\s*\\?")[A-Z0-9]{4,8}/g, '$1CODE');
  return JSON.parse(masked) as Record<string, unknown>;
}

function stream(server: FuzzServer): void {
  server.runtime.engine.ingest(diskPressure({ observedAt: NOW }));
  server.runtime.engine.ingest(signal({ incidentType: 'pod_pending_too_long', subject: 'prod.pod.shop.a', target: 'deployment/shop/a', severity: 'warning', confidence: 'high', observedAt: NOW }));
}

beforeAll(async () => {
  plain = await start();
  shadowed = await start();
  const created = await shadowed.request({ method: 'POST', path: '/api/rules', headers: ADA, body: { reason: 'try it in shadow first', rule: SHADOW } });
  expect(created.status, created.body).toBe(201);
});
afterAll(async () => {
  await plain.close();
  await shadowed.close();
});

describe('shadow mode', () => {
  it('a shadow rule changes nothing the robot does, and records where it would have', async () => {
    stream(plain);
    stream(shadowed);
    await plain.settle();
    await shadowed.settle();
    const report = await waitFor('a divergence on an action', async () => {
      const res = await shadowed.request({ path: '/api/rules/disk-hands-off/shadow', headers: VIEWER });
      const body = res.json as ShadowReport;
      return body.divergences.some((d) => d.differences.some((x) => x.what.startsWith('action:'))) ? body : undefined;
    });
    await plain.settle();
    await shadowed.settle();
    const actions = (behaviour(plain).actions as unknown[]).length;
    expect(actions).toBeGreaterThan(0);
    expect(behaviour(shadowed)).toEqual(behaviour(plain));
    expect(report).toMatchObject({ ruleId: 'disk-hands-off', version: 1, mode: 'shadow', evaluated: 1 });
    const [divergence] = report.divergences;
    expect(divergence).toMatchObject({ url: `/incidents/${divergence!.incidentId}`, ruleVersion: 1 });
    expect(divergence!.differences).toContainEqual({ what: 'severity', live: 'warning', shadow: 'critical' });
    expect(divergence!.differences.find((d) => d.what === 'action:delete_completed_pods')).toMatchObject({ live: expect.stringMatching(/^auto/), shadow: expect.stringMatching(/^denied/) });
    // Judged again (the periodic review), the same differences are not recorded twice.
    shadowed.runtime.engine.reviewRules();
    const rows = (shadowed.snapshot() as Record<string, unknown[]>).rule_shadow_results!;
    expect(rows).toHaveLength(1);
  });

  it('promote makes it live as a revision `promote`, through the guards; a stale version is 409', async () => {
    const stale = await shadowed.request({ method: 'POST', path: '/api/rules/disk-hands-off/promote', headers: ADA, body: { reason: 'go', version: 7 } });
    expect(stale.status, stale.body).toBe(409);
    const held = await shadowed.request({ method: 'POST', path: '/api/rules/disk-hands-off/promote', headers: ADA, body: { reason: 'it did well', version: 1 } });
    // The one disk incident of the last 7 days is half of them: above the 30 % share.
    expect(held.status, held.body).toBe(202);
    const id = (held.json as { change: { id: number; kind: string } }).change.id;
    expect(held.json).toMatchObject({ change: { kind: 'promote', ruleId: 'disk-hands-off' } });
    const live = await shadowed.request({ method: 'POST', path: `/api/rules/changes/${id}/confirm`, headers: SECOND, body: { reason: 'agreed' } });
    expect(live.status, live.body).toBe(200);
    expect(live.json).toMatchObject({ rule: { mode: 'live', version: 2 } });
    expect(shadowed.runtime.rules.current().map((r) => r.id)).toContain('disk-hands-off');
    const history = await shadowed.request({ path: '/api/rules/disk-hands-off/history', headers: VIEWER });
    expect((history.json as { revisions: { change: string; confirmedBy?: string }[] }).revisions.at(-1)).toMatchObject({ change: 'promote', confirmedBy: 'bob' });
    const report = await shadowed.request({ path: '/api/rules/disk-hands-off/shadow', headers: VIEWER });
    expect(report.json).toMatchObject({ mode: 'live', version: 2 });
  });

  it('the periodic review judges no incident for shadow mode when no shadow rule exists', async () => {
    // `plain` has no shadow rule and open incidents; the spy calls through, it only counts.
    await plain.settle();
    expect((plain.snapshot() as Record<string, unknown[]>).incidents!.length).toBeGreaterThan(0);
    const observe = vi.spyOn(plain.runtime.shadow, 'observe');
    try {
      plain.runtime.engine.reviewRules();
      expect(observe).not.toHaveBeenCalled();
      expect((plain.snapshot() as Record<string, unknown[]>).rule_shadow_results).toEqual([]);
      // With one, every unfinished incident is judged.
      const created = await plain.request({ method: 'POST', path: '/api/rules', headers: ADA, body: { reason: 'shadow', rule: { ...SHADOW, id: 'late-shadow' } } });
      expect(created.status, created.body).toBe(201);
      await plain.settle();
      observe.mockClear();
      plain.runtime.engine.reviewRules();
      expect(observe).toHaveBeenCalled();
    } finally {
      observe.mockRestore();
    }
  });
});
