/**
 * Reads signals as NDJSON from a file or stdin. A malformed line is reported
 * with its line number and skipped; the lines around it are still ingested.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parseSignal } from '../engine/signal.js';
import type { Signal } from '../engine/model.js';

export type SignalLine = { ok: true; line: number; signal: Signal } | { ok: false; line: number; error: string };

export async function* readSignals(source: string, stdin: Readable = process.stdin): AsyncGenerator<SignalLine> {
  const input = source === '-' ? stdin : createReadStream(source, 'utf8');
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n += 1;
    if (text.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      yield { ok: false, line: n, error: `line ${n} is not JSON: ${(error as Error).message}` };
      continue;
    }
    try {
      yield { ok: true, line: n, signal: parseSignal(raw) };
    } catch (error) {
      yield { ok: false, line: n, error: `line ${n}: ${(error as Error).message}` };
    }
  }
}
