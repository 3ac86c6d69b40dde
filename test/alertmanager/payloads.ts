/** Webhook payloads shaped like the ones Alertmanager 0.25 sends. */
import { createHash } from 'node:crypto';
import type { WebhookAlert, WebhookPayload } from '../../adapters/alertmanager/webhook.js';

export const STARTS_AT = '2026-11-22T10:00:00.123456789Z';
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Stable per label set, as Alertmanager's own fingerprint is. */
export function fingerprintOf(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export function firing(labels: Record<string, string>, extra: Partial<WebhookAlert> = {}): WebhookAlert {
  return {
    status: 'firing',
    labels,
    annotations: { summary: `${labels.alertname ?? 'alert'} is firing`, runbook_url: 'https://runbooks.example/alert' },
    startsAt: STARTS_AT,
    endsAt: ZERO_TIME,
    generatorURL: 'http://prometheus.example/graph?g0.expr=up',
    fingerprint: fingerprintOf(labels),
    ...extra,
  };
}

export function resolved(alert: WebhookAlert, endsAt = '2026-11-22T10:05:00Z'): WebhookAlert {
  return { ...alert, status: 'resolved', endsAt };
}

export function webhook(alerts: WebhookAlert[], receiver = 'robosre'): WebhookPayload & Record<string, unknown> {
  const alertname = alerts[0]?.labels.alertname ?? '';
  return {
    receiver,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: { alertname },
    commonLabels: { alertname },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example:9093',
    version: '4',
    groupKey: `{}:{alertname="${alertname}"}`,
    truncatedAlerts: 0,
  };
}
