/**
 * The probe runner with 1 000 configured targets: how many checks per second
 * one process sustains, and how long a full round takes when 10% of the
 * targets hang (accept the connection, never answer). The targets are HTTP
 * servers and silent TCP servers in a child process, so the bench process
 * spends its CPU on the runner alone. `--write` records the results in
 * bench/results.md.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { ProbeRunner } from '../adapters/probes/runner.js';
import type { ProbeSpec } from '../adapters/probes/spec.js';
import type { Signal } from '../src/engine/model.js';
import { createLogger } from '../src/log.js';
import { machine, writeSection } from './report.js';

const TARGETS = 1_000;
const HANGING = TARGETS / 10;
const TIMEOUT_MS = 2_000;

/** Listens on `healthy` HTTP ports and `silent` TCP ports on loopback, prints them as JSON, and serves until killed. */
const TARGETS_SCRIPT = `
const http = require('node:http');
const net = require('node:net');
const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
(async () => {
  const [healthy, silent] = process.argv.slice(1).map(Number);
  const ok = Buffer.from('ok');
  const ports = { healthy: [], silent: [] };
  for (let i = 0; i < healthy; i += 1) ports.healthy.push(await listen(http.createServer((req, res) => res.end(ok))));
  for (let i = 0; i < silent; i += 1) ports.silent.push(await listen(net.createServer((socket) => socket.on('error', () => {}))));
  process.stdout.write(JSON.stringify(ports) + '\\n');
})();
`;

async function startTargets(healthy: number, silent: number): Promise<{ healthy: number[]; silent: number[]; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['-e', TARGETS_SCRIPT, String(healthy), String(silent)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const ports = JSON.parse(line) as { healthy: number[]; silent: number[] };
  return {
    ...ports,
    async stop() {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}

const common = { timeoutMs: TIMEOUT_MS, critical: false, incidentType: 'runtime_dependency_outage' as const, recoverAfter: 2 };
const http = (i: number, port: number, intervalMs: number): ProbeSpec => ({ ...common, name: `web-${i}`, kind: 'http', url: `http://127.0.0.1:${port}/health`, expectStatus: [200], insecure: false, intervalMs });

async function until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Sustained {
  intervalMs: number;
  asked: number;
  achieved: number;
  cpuMsPerCheck: number;
  maxLagMs: number;
}

/** 1 000 healthy HTTP probes on `intervalMs` for `seconds`: checks per second asked for and done, CPU per check, worst timer lag. */
async function sustained(ports: number[], intervalMs: number, seconds: number): Promise<Sustained> {
  const runner = new ProbeRunner({ probes: ports.map((p, i) => http(i, p, intervalMs)), cluster: 'bench', onSignal: () => undefined, logger: createLogger('silent') });
  runner.start();
  // One interval to spread the first checks, then measure.
  await new Promise((r) => setTimeout(r, intervalMs * 1.5));
  const checks0 = runner.checks;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let maxLagMs = 0;
  let tick = performance.now();
  const lag = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - tick - 10);
    tick = now;
  }, 10);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(lag);
  const elapsed = (performance.now() - t0) / 1000;
  const checks = runner.checks - checks0;
  const cpu = process.cpuUsage(cpu0);
  await runner.stop();
  return { intervalMs, asked: ports.length / (intervalMs / 1000), achieved: checks / elapsed, cpuMsPerCheck: (cpu.user + cpu.system) / 1000 / checks, maxLagMs };
}

interface Round {
  healthySeconds: number;
  roundSeconds: number;
  timeouts: number;
}

/** Every probe once, all started together: when the healthy 900 are done, when the whole round is, and how many hanging ones timed out. */
async function round(healthy: number[], silent: number[]): Promise<Round> {
  const signals: Signal[] = [];
  const probes = [...healthy.map((p, i) => http(i, p, 3_600_000)), ...silent.map((p, i) => http(healthy.length + i, p, 3_600_000))];
  const runner = new ProbeRunner({ probes, cluster: 'bench', onSignal: (s) => signals.push(s), logger: createLogger('silent'), random: () => 0 });
  const t0 = performance.now();
  runner.start();
  await until('the healthy probes', () => runner.checks >= healthy.length, 60_000);
  const healthySeconds = (performance.now() - t0) / 1000;
  await until('the whole round', () => runner.checks >= probes.length, 60_000);
  const roundSeconds = (performance.now() - t0) / 1000;
  await runner.stop();
  return { healthySeconds, roundSeconds, timeouts: signals.filter((s) => s.params?.errorClass === 'timeout').length };
}

const loadBefore = loadavg()[0]!;
const targets = await startTargets(TARGETS, HANGING);
try {
  const rates: Sustained[] = [];
  for (const intervalMs of [2_000, 1_000, 500, 250]) rates.push(await sustained(targets.healthy, intervalMs, 8));
  const mixed = await round(targets.healthy.slice(0, TARGETS - HANGING), targets.silent);

  const rateRows = rates.map(
    (r) =>
      `| ${TARGETS} HTTP probes every ${r.intervalMs} ms | ${Math.round(r.asked)} | ${Math.round(r.achieved)} | ${r.cpuMsPerCheck.toFixed(3)} | ${Math.round(1000 / r.cpuMsPerCheck)} | ${r.maxLagMs.toFixed(0)} |`,
  );
  const rateTable = ['| scenario | checks/s asked | checks/s done | CPU ms per check | checks/s per core at that cost | worst timer lag ms |', '|---|---|---|---|---|---|', ...rateRows].join('\n');
  const roundTable = [
    '| scenario | healthy 900 done | full round | hanging probes timed out |',
    '|---|---|---|---|',
    `| ${TARGETS} HTTP probes at once, ${HANGING} of them hanging, timeout ${TIMEOUT_MS} ms | ${mixed.healthySeconds.toFixed(2)} s | ${mixed.roundSeconds.toFixed(2)} s | ${mixed.timeouts} of ${HANGING} |`,
  ].join('\n');
  const load = `1-minute load average ${loadBefore.toFixed(1)} before the run, ${loadavg()[0]!.toFixed(1)} after`;
  console.log(rateTable);
  console.log(roundTable);
  console.log(load);
  if (process.argv.includes('--write')) {
    writeSection(
      '## Probes',
      `## Probes

Machine: ${machine()}. Run: ${new Date().toISOString().slice(0, 10)} with \`tsx bench/probes.bench.ts --write\`; ${load}
(other work shared the machine: the rates past the point where the runner keeps up vary with it).

The probe runner (\`adapters/probes/runner.ts\`: one timer per probe, jitter, the hard deadline) with ${TARGETS} HTTP probes
(GET, a fresh connection per check, status 200 expected) against ${TARGETS} \`node:http\` servers on loopback in a child
process, so the bench process spends its CPU on probing alone. Rate rows: every probe on the same interval, measured
for 8 s after the first interval has spread the checks; "checks/s per core" is the inverse of the CPU per check, the
ceiling one process would reach with a core to itself. The round row starts every probe at once with ${HANGING} of the
targets hanging (TCP servers that accept and never answer): the healthy ones finish at their own pace and the round ends
at about the timeout, since every check has its own deadline and nothing waits for another (serialised, the hanging
ones alone would take ${(HANGING * TIMEOUT_MS) / 1000} s).

${rateTable}

${roundTable}
`,
    );
  }
} finally {
  await targets.stop();
}
