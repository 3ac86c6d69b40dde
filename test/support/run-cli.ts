/**
 * The real `robosre` entry point run to its exit, through tsx from the
 * sources: a non-zero exit is a result to assert on, not a throw.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** `env` is added to this process's environment; ROBOSRE_URL and ROBOSRE_TOKEN start empty, so a developer's own never leak in. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', resolve(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, env: { ...process.env, ROBOSRE_URL: '', ROBOSRE_TOKEN: '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
