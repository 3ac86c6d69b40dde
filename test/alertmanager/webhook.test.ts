import { describe, expect, it } from 'vitest';
import { parseWebhook, WebhookError } from '../../adapters/alertmanager/webhook.js';
import { firing, webhook } from './payloads.js';

function problems(body: unknown): string[] {
  try {
    parseWebhook(body);
    return [];
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

  it('names every problem by path', () => {
    const good = firing({ alertname: 'A' });
    const body = webhook([good, { ...good, labels: undefined as never }, { ...good, status: 'pending' as never, labels: { a: 1 as never } }]);
    expect(problems(body)).toEqual([
      'alerts.1.labels: expected object, received undefined',
      'alerts.2.status: Invalid option: expected one of "firing"|"resolved"',
      'alerts.2.labels.a: expected string, received number',
    ]);
  });

  it('refuses a body that is not an object, and the zero time as a start', () => {
    expect(problems([])).toEqual(['(body): expected object, received array']);
    expect(problems(webhook([firing({ alertname: 'A' }, { startsAt: '0001-01-01T00:00:00Z' })]))).toEqual(['alerts.0.startsAt: must be a real time, not the zero time']);
    expect(problems(webhook([firing({ alertname: 'A' }, { fingerprint: '' })]))[0]).toMatch(/^alerts.0.fingerprint:/);
  });
});
