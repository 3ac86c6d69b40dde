/**
 * The README's first command, as a newcomer runs it: `robosre demo` in an
 * empty directory shows incidents, policy decisions, an automatic containment
 * and an approval prompt within a minute, and stops cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const cwd = mkdtempSync(join(tmpdir(), 'robosre-demo-'));
let child: ChildProcess | undefined;
afterAll(() => {
  // A failed assertion must not leave a demo server running.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(cwd, { recursive: true, force: true });
});

/** The demo's announced sign-in token (reads need a sign-in, in the demo too). */
const DEMO = { authorization: 'Bearer demo' };

describe('robosre demo', () => {
  it('serves the scenario through the real pipeline and shuts down gracefully', async () => {
    const demo = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src/cli/main.ts'), 'demo', '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child = demo;
    let stderr = '';
    demo.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no banner; stderr: ${stderr}`)), 30_000);
      createInterface({ input: demo.stdout }).on('line', (line) => {
        const msg = line.startsWith('{') ? String((JSON.parse(line) as { msg?: unknown }).msg) : line;
        const match = /open (http:\/\/\S+) and sign in with the token "demo"/.exec(msg);
        if (match?.[1]) {
          clearTimeout(timer);
          done(match[1]);
        }
      });
    });
    type Incident = { incidentType: string; status: string; executedActions: { action: string }[]; approvalState: string };
    let incidents: Incident[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      incidents = ((await (await fetch(`${url}/api/incidents`, { headers: DEMO })).json()) as { incidents: Incident[] }).incidents;
      const types = new Set(incidents.map((i) => i.incidentType));
      if (types.has('deployment_replicas_mismatch') && incidents.some((i) => i.status === 'resolved')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(new Set(incidents.map((i) => i.incidentType))).toEqual(
      new Set(['node_disk_pressure', 'crash_loop_backoff', 'registry_pull_failure', 'runtime_dependency_outage', 'deployment_replicas_mismatch']),
    );
    const disk = incidents.find((i) => i.incidentType === 'node_disk_pressure')!;
    expect(disk.status).toBe('contained');
    expect(disk.executedActions.map((a) => a.action)).toEqual(expect.arrayContaining(['delete_completed_pods', 'suspend_cronjob']));
    expect(incidents.find((i) => i.incidentType === 'registry_pull_failure')!.approvalState).toBe('pending');
    expect(incidents.find((i) => i.incidentType === 'runtime_dependency_outage')!.status).toBe('resolved');
    const pending = (await (await fetch(`${url}/api/approvals?state=pending`, { headers: DEMO })).json()) as { approvals: { prompt: Record<string, unknown> }[] };
    expect(pending.approvals.length).toBeGreaterThan(0);
    expect(Object.keys(pending.approvals[0]!.prompt)).toEqual(expect.arrayContaining(['action', 'target', 'whyNow', 'expectedImpact', 'rollback', 'expiresAt']));

    demo.kill('SIGTERM');
    const code = await new Promise<number | null>((done) => demo.once('exit', (c) => done(c)));
    expect(code, stderr).toBe(0);
  }, 90_000);
});
