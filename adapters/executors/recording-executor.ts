/**
 * An executor that touches no cluster: it appends each action to a journal
 * file (fsynced) and answers a repeated idempotency key with the first
 * result. It is what the engine runs with until the Kubernetes executors
 * exist, and what the crash tests use to count real effects.
 */
import { appendFileSync, closeSync, fsyncSync, openSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuthorizedAction, ExecutionResult, Executor } from '../../src/engine/executor.js';

export interface JournalEntry {
  key: string;
  incidentId: number;
  action: string;
  target: string;
  approvedBy: string | null;
  outcome: ExecutionResult['outcome'];
  at: number;
}

export interface RecordingExecutorOptions {
  /** Journal path (NDJSON). */
  path: string;
  /** Actions that should report failure, for rehearsing escalation paths. */
  failing?: string[];
  now?: () => number;
}

export class RecordingExecutor implements Executor {
  private readonly applied = new Map<string, JournalEntry>();

  constructor(private readonly options: RecordingExecutorOptions) {
    mkdirSync(dirname(options.path), { recursive: true });
    // A kill mid-append leaves a line without its newline; start the next entry on a line of its own.
    if (existsSync(options.path) && !readFileSync(options.path, 'utf8').endsWith('\n') && readFileSync(options.path).length > 0) {
      appendFileSync(options.path, '\n');
    }
    for (const entry of readJournal(options.path)) if (!this.applied.has(entry.key)) this.applied.set(entry.key, entry);
  }

  execute(action: AuthorizedAction): Promise<ExecutionResult> {
    return Promise.resolve(this.apply(action));
  }

  private apply(action: AuthorizedAction): ExecutionResult {
    const previous = this.applied.get(action.idempotencyKey);
    if (previous) return { outcome: previous.outcome, alreadyApplied: true, detail: 'already applied under this idempotency key' };
    const outcome = this.options.failing?.includes(action.actionId) ? 'failed' : 'succeeded';
    const entry: JournalEntry = {
      key: action.idempotencyKey,
      incidentId: action.incidentId,
      action: action.actionId,
      target: action.target,
      approvedBy: action.approvedBy,
      outcome,
      at: (this.options.now ?? Date.now)(),
    };
    const fd = openSync(this.options.path, 'a');
    try {
      appendFileSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.applied.set(entry.key, entry);
    return { outcome, detail: outcome === 'failed' ? 'recorded as failing by configuration' : 'recorded (no cluster touched)' };
  }
}

/** Reads a journal; a torn last line (a kill mid-write) is ignored, as it was never acknowledged. */
export function readJournal(path: string): JournalEntry[] {
  if (!existsSync(path)) return [];
  const entries: JournalEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      // torn write
    }
  }
  return entries;
}
