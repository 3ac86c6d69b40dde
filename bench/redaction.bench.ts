/**
 * Redaction: throughput (MB/s on one core: Node runs it on one thread) and
 * the cost per 16 KiB log tail, p50 and p99, of the sync redactor (by value
 * and by shape: log lines, API answers, delivery errors) and of the evidence path
 * (sanitise, sync, then secretlint's recommended rules), which runs where a
 * tail is stored, off the incident's hot path (the tail is fetched after the
 * incident is raised). Tails mix the corpus (test/redaction/corpus.ts) into
 * ordinary log lines; the worst-case rows are shapes made to stress the
 * patterns (one 16 KiB line, base64 lines without an END, JSON with escapes).
 * `--write` records the results in bench/results.md.
 */
import { loadavg } from 'node:os';
import { createRedactor } from '../src/redaction/redactor.js';
import { CREDENTIAL_LINES, ORDINARY_LINES, PEM_LINES } from '../test/redaction/corpus.js';
import { machine, percentile, writeSection } from './report.js';

const TAIL_BYTES = 16 * 1024;
const TAILS = 200;
const redactor = createRedactor(['configured-telegram-token-123', 'configured-slack-secret-456', 'configured-db-password-789']);

const FILLER = [
  '2026-12-07T10:00:00.123Z INFO  http GET /api/v1/orders/12345 200 12ms user=42 trace=4bf92f3577b34da6a3ce929d0e0e4736',
  '2026-12-07T10:00:00.456Z WARN  pool: 9 of 10 connections busy, waiting 25ms',
  '{"level":"info","ts":1733565600.123,"caller":"server/main.go:88","msg":"listening","addr":":8080"}',
  '2026-12-07T10:00:01.001Z ERROR worker: job 77 failed: context deadline exceeded (retry 2 of 5)',
  'at com.shop.orders.OrderService.place(OrderService.java:142)',
];

/** A tail of about 16 KiB: mostly ordinary lines, one credential line in eight, a key block in some. */
function tail(seed: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < TAIL_BYTES; i += 1) {
    const n = seed * 131 + i;
    const line = n % 8 === 0 ? CREDENTIAL_LINES[n % CREDENTIAL_LINES.length]!.line : n % 5 === 0 ? ORDINARY_LINES[n % ORDINARY_LINES.length]! : `${FILLER[n % FILLER.length]!} #${n}`;
    const withKey = seed % 10 === 0 && i === 20 ? PEM_LINES.join('\n') : line;
    lines.push(withKey);
    size += withKey.length + 1;
  }
  return lines.join('\n').slice(0, TAIL_BYTES);
}

const WORST: Array<[string, string]> = [
  ['one 16 KiB line of word characters', 'a'.repeat(TAIL_BYTES)],
  ['one 16 KiB line, key=value pairs', Array.from({ length: 1200 }, (_, i) => `k${i}=v${i}`).join(' ').slice(0, TAIL_BYTES)],
  ['an END marker, then base64 lines', `-----END RSA PRIVATE KEY-----\n${Array.from({ length: 250 }, (_, i) => `${i}`.padEnd(64, 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo')).join('\n')}`.slice(0, TAIL_BYTES)],
  ['base64 lines with no END marker', Array.from({ length: 256 }, (_, i) => `${i}`.padEnd(64, 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo')).join('\n').slice(0, TAIL_BYTES)],
  ['JSON with escaped quotes', JSON.stringify({ msg: Array.from({ length: 400 }, (_, i) => `{"password_hint":"x\\"${i}"}`).join(',') }).slice(0, TAIL_BYTES)],
  ['credential words without values', 'password token secret api_key authorization '.repeat(400).slice(0, TAIL_BYTES)],
];

interface Row {
  name: string;
  mbPerSecond: number;
  p50: number;
  p99: number;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function measureSync(name: string, inputs: readonly string[], rounds: number): Row {
  const times: number[] = [];
  let bytes = 0;
  const cpu = cpuMs();
  for (let r = 0; r < rounds; r += 1) {
    for (const input of inputs) {
      const start = performance.now();
      redactor.text(input);
      times.push(performance.now() - start);
      bytes += input.length;
    }
  }
  const spent = cpuMs() - cpu;
  times.sort((a, b) => a - b);
  return { name, mbPerSecond: bytes / 2 ** 20 / (spent / 1000), p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function measureEvidence(name: string, inputs: readonly string[], rounds: number): Promise<Row> {
  const times: number[] = [];
  let bytes = 0;
  const cpu = cpuMs();
  for (let r = 0; r < rounds; r += 1) {
    for (const input of inputs) {
      const start = performance.now();
      await redactor.evidence(input);
      times.push(performance.now() - start);
      bytes += input.length;
    }
  }
  const spent = cpuMs() - cpu;
  times.sort((a, b) => a - b);
  return { name, mbPerSecond: bytes / 2 ** 20 / (spent / 1000), p50: percentile(times, 50), p99: percentile(times, 99) };
}

const loadBefore = loadavg()[0]!;
const tails = Array.from({ length: TAILS }, (_, i) => tail(i));
// Warm-up: compile the patterns and secretlint's rules.
measureSync('warm-up', tails.slice(0, 20), 1);
await measureEvidence('warm-up', tails.slice(0, 20), 1);

const logLine = JSON.stringify({ level: 30, time: Date.now(), service: 'robosre', component: 'delivery', incidentId: 42, msg: 'message delivered', channel: 'telegram', latencyMs: 120 });
const rows: Row[] = [
  measureSync('sync (by value + shapes), corpus tails', tails, 5),
  await measureEvidence('evidence (sanitise + sync + secretlint), corpus tails', tails, 2),
  measureSync('sync, one pino log line (~150 B)', Array.from({ length: 10_000 }, () => logLine), 1),
  ...WORST.map(([name, input]) => measureSync(`sync, worst case: ${name}`, [input], 50)),
  ...(await Promise.all(WORST.slice(0, 3).map(([name, input]) => measureEvidence(`evidence, worst case: ${name}`, [input], 10)))),
];
const load = `1-minute load average ${loadBefore.toFixed(1)} before the run, ${loadavg()[0]!.toFixed(1)} after`;
const table = ['| input | MB/s (CPU time, one core) | p50 ms | p99 ms |', '|---|---|---|---|', ...rows.map((r) => `| ${r.name} | ${r.mbPerSecond.toFixed(1)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} |`)].join('\n');
console.log(table);
console.log(load);

if (process.argv.includes('--write')) {
  writeSection(
    '## Redaction',
    `## Redaction

Machine: ${machine()}. Run: ${new Date().toISOString().slice(0, 10)} with \`tsx bench/redaction.bench.ts --write\`; ${load}
(the machine shared with other work: the figures vary with it).

${TAILS} tails of 16 KiB each (ordinary log lines, one line in eight from the credential corpus, a private key block in one
tail in ten) through the one redactor (\`src/redaction/\`) with three configured secrets. "sync" is what robosre's log lines,
API answers and delivery errors pass (by value, then the shapes); "evidence" is what a log tail passes before it is stored
(sanitised, sync, then secretlint's recommended preset), off the incident's hot path. p50/p99 are per input (a tail, or a
log line); MB/s is bytes over the CPU time spent. The worst-case rows are inputs made to stress the patterns.

${table}
`,
  );
}
