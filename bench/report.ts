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
 * heading) or appends it, so each benchmark rewrites only its own results.
 */
export function writeSection(heading: string, text: string, path = RESULTS): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(heading);
  if (start < 0) {
    writeFileSync(path, `${current.trimEnd()}\n\n${text}`);
    return;
  }
  const next = current.indexOf('\n## ', start + 1);
  const rest = next < 0 ? '' : current.slice(next + 1);
  writeFileSync(path, `${current.slice(0, start)}${text}${rest ? `\n${rest}` : ''}`);
}

/** The value at percentile `p` of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
