import { describe, expect, it } from 'vitest';
import { parseAlert, parseEnvelope, WebhookError, type RefusedAlert, type WebhookAlert } from '../../adapters/alertmanager/webhook.js';
import { firing, webhook } from './payloads.js';

/** The notification's alerts split as the route splits them: well-formed, with their places, and refused. */
function parseWebhook(body: unknown): { alerts: WebhookAlert[]; positions: number[]; refused: RefusedAlert[] } {
  const out = { alerts: [] as WebhookAlert[], positions: [] as number[], refused: [] as RefusedAlert[] };
  parseEnvelope(body).alerts.forEach((raw, index) => {
    const parsed = parseAlert(raw, index);
    if ('refused' in parsed) out.refused.push(parsed.refused);
    else {
      out.alerts.push(parsed.alert);
      out.positions.push(index);
    }
  });
  return out;
}

/** The envelope's problems, then each refused alert's. */
function problems(body: unknown): string[] {
  try {
    return parseWebhook(body).refused.map((r) => r.reason);
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookError);
    return (error as WebhookError).problems;
  }
}

describe('webhook payload', () => {
  it('accepts what Alertmanager sends, including keys newer releases add', () => {
    const body = { ...webhook([firing({ alertname: 'A' })]), newTopLevelField: true };
    body.alerts[0] = { ...body.alerts[0]!, ...{ silencedBy: [] } };
    expect(parseWebhook(body).alerts).toHaveLength(1);
  });

  it('refuses any version but 4, saying which one it got', () => {
    expect(problems({ ...webhook([]), version: '3' })).toEqual(['version: unsupported version "3"; robosre accepts Alertmanager webhook version "4"']);
  });

  it('refuses a malformed alert alone, naming every problem by path, and keeps the others with their places', () => {
    const good = firing({ alertname: 'A' });
    const body = webhook([good, { ...good, labels: undefined as never }, { ...good, status: 'pending' as never, labels: { a: 1 as never } }, good]);
    expect(problems(body)).toEqual([
      'alerts.1.labels: expected object, received undefined',
      'alerts.2.status: Invalid option: expected one of "firing"|"resolved"; alerts.2.labels.a: expected string, received number',
    ]);
    const parsed = parseWebhook(body);
    expect(parsed.positions).toEqual([0, 3]);
    expect(parsed.refused.map((r) => [r.index, r.fingerprint])).toEqual([
      [1, good.fingerprint],
      [2, good.fingerprint],
    ]);
  });

  it('bounds every field the mapping uses, so what passes always maps', () => {
    const long = `2026-11-22T10:00:00.${'1'.repeat(300)}Z`;
    expect(problems(webhook([firing({ alertname: 'A' }, { startsAt: long })]))).toEqual(['alerts.0.startsAt: Too big: expected string to have <=64 characters']);
    expect(problems(webhook([firing({ alertname: 'A' }, { fingerprint: 'f'.repeat(65) })]))[0]).toMatch(/^alerts\.0\.fingerprint: Too big/);
    expect(problems(webhook([firing({ alertname: 'A', big: 'x'.repeat(5000) })]))[0]).toMatch(/^alerts\.0\.labels\.big: Too big/);
    const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`l${i}`, 'v']));
    expect(problems(webhook([firing({ alertname: 'A', ...many })]))).toEqual(['alerts.0.labels: at most 128 entries']);
  });

  it('refuses a body that is not an object, and the zero time as a start', () => {
    expect(problems([])).toEqual(['(body): expected object, received array']);
    expect(problems(webhook([firing({ alertname: 'A' }, { startsAt: '0001-01-01T00:00:00Z' })]))).toEqual(['alerts.0.startsAt: must be a real time, not the zero time']);
    expect(problems(webhook([firing({ alertname: 'A' }, { fingerprint: '' })]))[0]).toMatch(/^alerts.0.fingerprint:/);
  });
});
