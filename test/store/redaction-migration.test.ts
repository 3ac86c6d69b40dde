/**
 * A database written by an earlier version — a log tail redacted the old way
 * (a JSON password, a URL's password, a JWT and a Basic credential kept;
 * `Authorization: [redacted] <b64>`), a configured secret in a summary, no
 * redaction version recorded — is redacted again when robosre starts on it,
 * once; raising the version runs it again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { REDACTION_VERSION, redactorFor } from '../../src/redaction/redactor.js';
import { createRuntime } from '../../src/runtime.js';
import { openStore } from '../../src/store/db.js';
import * as incidentsRepo from '../../src/store/incidents.repo.js';
import * as kvRepo from '../../src/store/kv.repo.js';
import { reRedactStored } from '../../src/store/redaction-migration.js';

const CONFIGURED = 'configured-Bearer-5ecret';
const OLD_TAIL = [
  'pq: password [redacted] failed for user "app"',
  '{"user":"app","password":"Js0nPassw0rd"}',
  'dial postgres://app:Pg5ecretPass@db.shop:5432/orders: connection refused',
  'Authorization: [redacted] YWRtaW46c3VwZXJzZWNyZXQ=',
  'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
].join('\n');
const LEAKS = [CONFIGURED, 'Js0nPassw0rd', 'Pg5ecretPass', 'YWRtaW46c3VwZXJzZWNyZXQ=', 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'];

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function configAt(path: string) {
  return parseConfig({ environment: 'staging', database: { path }, executor: { journal: join(dir!, 'actions.ndjson') }, alertmanager: { auth: { type: 'bearer', token: CONFIGURED } } });
}

it('re-redacts incidents and timelines an earlier version stored, once per redaction version', async () => {
  dir = mkdtempSync(join(tmpdir(), 'robosre-reredact-'));
  const path = join(dir, 'robosre.db');
  // A runtime makes the incident; its rows are then rewritten as an earlier version left them.
  const first = createRuntime(configAt(path), createLogger('silent'));
  const id = first.engine.ingest({ trigger: 'kubernetes_event', incidentType: 'crash_loop_backoff', cluster: 'prod', subject: 'prod.pod.shop.web-1', status: 'firing', observedAt: Date.now(), summary: 'web-1 crash-looping' }).incidentId!;
  await first.engine.stop();
  first.store.close();
  const old = openStore(path);
  incidentsRepo.updateIncident(old.db, id, { evidenceSummary: `web-1 crash-looping; login with ${CONFIGURED} refused`, triggerParams: { note: `DB_PASSWORD=Js0nPassw0rd` } });
  incidentsRepo.appendEvent(old.db, id, Date.now(), 'evidence', 'log tail of app before its last restart (5 lines)', { ref: 'logs:shop/web-1/app#3', container: 'app', log: OLD_TAIL });
  kvRepo.remove(old.db, 'redaction_version');
  old.close();

  const lines: string[] = [];
  const second = createRuntime(configAt(path), createLogger('info', { write: (line: string) => void lines.push(line) }));
  const db = second.store.db;
  const stored = JSON.stringify({ incident: incidentsRepo.getIncident(db, id), timeline: incidentsRepo.timeline(db, id) });
  for (const leak of LEAKS) expect(stored).not.toContain(leak);
  const log = incidentsRepo.timeline(db, id).find((e) => e.kind === 'evidence')!.data.log as string;
  expect(log.split('\n')).toEqual([
    // The old redactor's damage to prose cannot be undone; it is not made worse.
    'pq: password [redacted] failed for user "app"',
    '{"user":"app","password":"[redacted:password]"}',
    'dial postgres://app:[redacted:postgres-password]@db.shop:5432/orders: connection refused',
    'Authorization: [redacted] [redacted:authorization]',
    'token [redacted:jwt]',
  ]);
  expect(incidentsRepo.getIncident(db, id)!.evidenceSummary).toBe('web-1 crash-looping; login with [redacted] refused');
  expect(lines.map((l) => JSON.parse(l) as { msg: string; incidents?: number; events?: number }).find((l) => l.msg.includes('re-redacted'))).toMatchObject({ incidents: 1, events: 1 });
  expect(kvRepo.get(db, 'redaction_version')).toMatchObject({ version: REDACTION_VERSION });

  // Done for this version: the next start reads one row and rewrites nothing.
  expect(reRedactStored(db, redactorFor(second.config), REDACTION_VERSION, Date.now())).toBeUndefined();
  // A later version with a new rule rewrites once more.
  const stricter = { text: (s: string) => s.replace('crash-looping', '[redacted:test]'), value: <T>(v: T): T => v };
  expect(reRedactStored(db, stricter, REDACTION_VERSION + 1, Date.now())).toEqual({ incidents: 1, events: 1, approvals: 0 });
  await second.engine.stop();
  second.store.close();
});
