/** Real `robosre start` child processes for the crash tests, and a replayable random sequence to kill them by. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** A deterministic pseudo-random sequence (xorshift), so a failing run can be replayed from its seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** `robosre start --config <config> --signals <signals>` from the sources, stderr piped. */
export function startRobosre(config: string, signals: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'start', '--config', config, '--signals', signals], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

export function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });
}

/**
 * Writes what a `robosre start` run reads: the signals as NDJSON and a
 * config whose store and journal live in `dir`, plus `extra` config lines.
 */
export function writeRun(dir: string, signals: readonly object[], cluster: string, extra: readonly string[]): { config: string; signals: string } {
  const signalsPath = join(dir, 'signals.ndjson');
  writeFileSync(signalsPath, `${signals.map((s) => JSON.stringify(s)).join('\n')}\n`);
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    ['environment: demo', `cluster: { name: ${cluster} }`, `database: { path: ${join(dir, 'robosre.db')} }`, `executor: { journal: ${join(dir, 'actions.ndjson')} }`, 'log: { level: warn }', ...extra].join('\n'),
  );
  return { config, signals: signalsPath };
}
