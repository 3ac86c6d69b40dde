/**
 * A data migration, in code because it needs the redactor (and so the
 * config's secrets), which a SQL migration cannot have: rows earlier
 * versions stored unredacted, or redacted by weaker rules (a log tail's
 * JSON password, a URL's userinfo, a JWT), are redacted again once. The
 * version reached is recorded in kv, so each later start is one read;
 * raising REDACTION_VERSION (src/redaction/redactor.ts) when the rules
 * learn a new shape re-redacts what is stored once more.
 *
 * Covered: incident summaries and trigger params, every timeline entry
 * (signals, evidence, messages, AI records), approval prompts.
 */
import { asc, eq, gt } from 'drizzle-orm';
import type { Db } from './db.js';
import * as kvRepo from './kv.repo.js';
import { approvals, incidentEvents, incidents } from './schema.js';

const KEY = 'redaction_version';
const BATCH = 500;

export interface StoredRedactor {
  text: (value: string) => string;
  value: <T>(value: T) => T;
}

export interface ReRedaction {
  /** Rows rewritten, per table. */
  incidents: number;
  events: number;
  approvals: number;
}

const changed = (before: unknown, after: unknown): boolean => JSON.stringify(before) !== JSON.stringify(after);

/** Re-redacts what is stored when the store's redaction version is below `version`; undefined when it was not. */
export function reRedactStored(db: Db, redactor: StoredRedactor, version: number, now: number): ReRedaction | undefined {
  const done = kvRepo.get<{ version: number }>(db, KEY);
  if (done && done.version >= version) return undefined;
  const counts: ReRedaction = { incidents: 0, events: 0, approvals: 0 };

  for (let after = 0; ; ) {
    const rows = db.select({ id: incidents.id, summary: incidents.evidenceSummary, params: incidents.triggerParams }).from(incidents).where(gt(incidents.id, after)).orderBy(asc(incidents.id)).limit(BATCH).all();
    if (rows.length === 0) break;
    db.transaction(() => {
      for (const row of rows) {
        const summary = redactor.text(row.summary);
        const params = redactor.value(row.params);
        if (summary === row.summary && !changed(params, row.params)) continue;
        db.update(incidents).set({ evidenceSummary: summary, triggerParams: params }).where(eq(incidents.id, row.id)).run();
        counts.incidents += 1;
      }
    });
    after = rows.at(-1)!.id;
  }

  for (let after = 0; ; ) {
    const rows = db.select({ id: incidentEvents.id, summary: incidentEvents.summary, data: incidentEvents.data }).from(incidentEvents).where(gt(incidentEvents.id, after)).orderBy(asc(incidentEvents.id)).limit(BATCH).all();
    if (rows.length === 0) break;
    db.transaction(() => {
      for (const row of rows) {
        const summary = redactor.text(row.summary);
        const data = redactor.value(row.data);
        if (summary === row.summary && !changed(data, row.data)) continue;
        db.update(incidentEvents).set({ summary, data }).where(eq(incidentEvents.id, row.id)).run();
        counts.events += 1;
      }
    });
    after = rows.at(-1)!.id;
  }

  for (let after = 0; ; ) {
    const rows = db.select({ id: approvals.id, prompt: approvals.prompt }).from(approvals).where(gt(approvals.id, after)).orderBy(asc(approvals.id)).limit(BATCH).all();
    if (rows.length === 0) break;
    db.transaction(() => {
      for (const row of rows) {
        const prompt = redactor.value(row.prompt);
        if (!changed(prompt, row.prompt)) continue;
        db.update(approvals).set({ prompt }).where(eq(approvals.id, row.id)).run();
        counts.approvals += 1;
      }
    });
    after = rows.at(-1)!.id;
  }

  kvRepo.put(db, KEY, { version, ...counts }, now);
  return counts;
}
