/** Shared by the benchmarks: the machine line and section-wise updates of bench/results.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';

export const RESULTS = join(import.meta.dirname, 'results.md');

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${osType()} ${release()}, Node ${process.version}`;
}

/**
 * Replaces the section that starts with `heading` (up to the next `## `
 * heading, or up to `until` when given) or adds it (before `until` when that
 * is there, else at the end), so each benchmark rewrites only its own results.
 */
export function writeSection(heading: string, text: string, path = RESULTS, until = '\n## '): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(heading);
  if (start < 0) {
    const before = current.indexOf(until);
    writeFileSync(path, before < 0 ? `${current.trimEnd()}\n\n${text}` : `${current.slice(0, before + 1)}${text}\n${current.slice(before + 1)}`);
    return;
  }
  const next = current.indexOf(until, start + 1);
  const rest = next < 0 ? '' : current.slice(next + 1);
  writeFileSync(path, `${current.slice(0, start)}${text}${rest ? `\n${rest}` : ''}`);
}

/** The value at percentile `p` of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
