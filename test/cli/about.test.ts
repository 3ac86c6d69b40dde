/**
 * `robosre about`, as an SRE runs it at the shell: which installation the
 * config's database is. The id is made with the database, the same on every
 * later run, another for another database, and the one its keys carry.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/about.js';
import { openStore } from '../../src/store/db.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'robosre-about-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = promisify(execFile);
async function robosre(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT });
  return stdout;
}

function config(name: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, ['environment: staging', 'cluster: { name: prod-eu }', `database: { path: ${join(dir, name, 'robosre.db')} }`].join('\n'));
  return path;
}

describe('robosre about', () => {
  it('shows the installation id made with the database, the same on the next run, and another for another database', async () => {
    const first = await robosre('about', '--config', config('one'));
    const id = /^installation +([0-9a-f-]{36}) \(created \S+\)$/m.exec(first)?.[1];
    expect(id, first).toBeDefined();
    expect(first).toMatch(new RegExp(`^version +${VERSION.replaceAll('.', '\\.')}$`, 'm'));
    expect(first).toMatch(/^environment +staging$/m);
    expect(first).toMatch(/^cluster +prod-eu$/m);
    expect(first).toContain(`journal       ${join(dir, 'one', 'robosre-actions.ndjson')}`);
    expect(await robosre('about', '--config', config('one'))).toBe(first);
    const store = openStore(join(dir, 'one', 'robosre.db'));
    expect(store.installation.id).toBe(id);
    store.close();

    const other = JSON.parse(await robosre('about', '--config', config('two'), '--json')) as { installation: { id: string }; database: string };
    expect(other.installation.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(other.installation.id).not.toBe(id);
    expect(other.database).toBe(join(dir, 'two', 'robosre.db'));
  }, 120_000);

  it('reports the version package.json declares', () => {
    expect(VERSION).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });
});
