/**
 * secretlint's recommended rule preset (a maintained detector of vendor
 * tokens: AWS, GCP, Azure, GitHub, GitLab, Slack, npm, OpenAI, Anthropic,
 * SendGrid, Shopify, Linear, 1Password, database connection strings, …) over
 * text about to be stored as evidence. It is a library, not a platform SDK,
 * so it lives beside the rest of redaction rather than in adapters/.
 * It reports ranges; each is replaced by `[redacted:<what it found>]`.
 * docs/security.md says why secretlint rather than gitleaks or detect-secrets.
 */
import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';
import type { SecretLintCoreConfig } from '@secretlint/types';
import { label } from './shapes.js';

const CONFIG: SecretLintCoreConfig = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommended }] };

/** `AWSSecretAccessKey` → `aws-secret-access-key`, `SLACK_TOKEN` → `slack-token`. */
function kindOf(messageId: string): string {
  return messageId
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .toLowerCase()
    .replace(/^-|-$/g, '');
}

/** A rule may report `key = value` as its range (the AWS one does, and not always to the value's end): the key stays, the whole value goes. */
const KEY_PREFIX = /^[A-Za-z0-9_.-]+["']?\s*[:=]\s*["']?/;

export interface Finding {
  start: number;
  end: number;
  kind: string;
}

/** secretlint's findings in `text`, widened to whole values; those inside an earlier `[redacted:…]` are dropped. */
export async function detectSecrets(text: string): Promise<Finding[]> {
  const result = await lintSource({ source: { content: text, filePath: 'evidence.txt', ext: '.txt', contentType: 'text' }, options: { config: CONFIG, noPhysicFilePath: true } });
  const findings: Finding[] = [];
  for (const { range, messageId } of result.messages) {
    let [start, end] = range;
    const found = text.slice(start, end);
    const prefix = KEY_PREFIX.exec(found)?.[0].length ?? 0;
    // The key is kept only when the rest is the value; a connection string (`postgres://…`) is matched whole.
    if (prefix > 0 && prefix < found.length && !found.includes('://')) start += prefix;
    while (end < text.length && /[^\s"',;]/.test(text[end]!)) end += 1;
    if (text.slice(start, end).includes('[redacted')) continue;
    findings.push({ start, end, kind: kindOf(messageId) });
  }
  return findings.sort((a, b) => a.start - b.start);
}

/** The text with each finding replaced, overlapping ones merged. */
export function applyFindings(text: string, findings: readonly Finding[]): string {
  let out = '';
  let at = 0;
  for (const f of findings) {
    if (f.end <= at) continue;
    out += text.slice(at, Math.max(at, f.start)) + label(f.kind);
    at = f.end;
  }
  return out + text.slice(at);
}
