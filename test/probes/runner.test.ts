/** The runner against real sockets: a hanging probe holds up no other, and only changes become signals. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeRunner } from '../../adapters/probes/runner.js';
import type { Signal } from '../../src/engine/model.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../alertmanager/intake.js';
import { freePort, startSilentServer } from './servers.js';

let silent: Awaited<ReturnType<typeof startSilentServer>>;
beforeAll(async () => {
  silent = await startSilentServer();
});
afterAll(async () => {
  await silent?.close();
});

const common = { timeoutMs: 2_000, critical: false, incidentType: 'runtime_dependency_outage' as const, recoverAfter: 2 };

describe('ProbeRunner', () => {
  it('a probe hanging until its timeout does not delay a failing one; each ends as its own classified signal', async () => {
    const signals: Signal[] = [];
    const runner = new ProbeRunner({
      probes: [
        { ...common, name: 'stuck', kind: 'http', url: `http://127.0.0.1:${silent.port}/`, expectStatus: [], insecure: false, intervalMs: 60_000 },
        { ...common, name: 'gone', kind: 'tcp', host: '127.0.0.1', port: await freePort(), intervalMs: 60_000, target: 'deployment/infra/gone' },
      ],
      cluster: 'prod',
      onSignal: (s) => signals.push(s),
      logger: createLogger('silent'),
      // Every first check at once.
      random: () => 0,
    });
    runner.start();
    try {
      await waitFor('both signals', () => (signals.length >= 2 ? true : undefined), 10_000);
      expect(signals.map((s) => s.subject)).toEqual(['prod.service.gone', 'prod.service.stuck']);
      expect(signals[0]).toMatchObject({ trigger: 'health_check', status: 'firing', incidentType: 'runtime_dependency_outage', severity: 'warning', confidence: 'low', target: 'deployment/infra/gone', params: { errorClass: 'refused' } });
      expect(signals[1]).toMatchObject({ params: { errorClass: 'timeout' } });
      expect(signals[1]).not.toHaveProperty('target');
      expect(new Set(signals.map((s) => s.id)).size).toBe(2);
    } finally {
      await runner.stop();
    }
  });

  it('checks again on its interval and raises confidence on the second failure in a row', async () => {
    const signals: Signal[] = [];
    const runner = new ProbeRunner({
      probes: [{ ...common, name: 'gone', kind: 'tcp', host: '127.0.0.1', port: await freePort(), intervalMs: 200, timeoutMs: 200 }],
      cluster: 'prod',
      onSignal: (s) => signals.push(s),
      logger: createLogger('silent'),
    });
    runner.start();
    try {
      await waitFor('a high-confidence signal', () => (signals.some((s) => s.confidence === 'high') ? true : undefined), 10_000);
      expect(signals.slice(0, 2).map((s) => s.confidence)).toEqual(['low', 'high']);
      expect(runner.checks).toBeGreaterThanOrEqual(2);
    } finally {
      await runner.stop();
    }
  });

  it('asks Kubernetes about the target of a failing probe only: pods down make the first failure medium', async () => {
    const signals: Signal[] = [];
    const asked: string[] = [];
    const runner = new ProbeRunner({
      probes: [
        { ...common, name: 'gone', kind: 'tcp', host: '127.0.0.1', port: await freePort(), intervalMs: 60_000, target: 'statefulset/infra/redis' },
        { ...common, name: 'fine', kind: 'tcp', host: '127.0.0.1', port: silent.port, intervalMs: 60_000, target: 'deployment/infra/fine' },
        { ...common, name: 'untargeted', kind: 'tcp', host: '127.0.0.1', port: await freePort(), intervalMs: 60_000 },
      ],
      cluster: 'prod',
      onSignal: (s) => signals.push(s),
      corroborate: (target) => {
        asked.push(target);
        return { target, podsReady: 0, podsDesired: 1 };
      },
      logger: createLogger('silent'),
      random: () => 0,
    });
    runner.start();
    try {
      await waitFor('two signals', () => (signals.length >= 2 ? true : undefined), 10_000);
      expect(asked).toEqual(['statefulset/infra/redis']);
      expect(signals.find((s) => s.subject === 'prod.service.gone')).toMatchObject({ confidence: 'medium', params: { kubernetes: { podsReady: 0, podsDesired: 1, podsDown: true } } });
      expect(signals.find((s) => s.subject === 'prod.service.untargeted')).toMatchObject({ confidence: 'low' });
    } finally {
      await runner.stop();
    }
  });
});
