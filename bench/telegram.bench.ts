/**
 * Conversations through the outbox to the Telegram Bot API emulator, with the
 * real grammY channel: delivery throughput, detection-to-delivered latency,
 * and the time to fail over. `--write` records the results in bench/results.md.
 */
import { performance } from 'node:perf_hooks';
import { channelHealth, deliveriesFor } from '../src/store/deliveries.repo.js';
import * as incidentsRepo from '../src/store/incidents.repo.js';
import { signal } from '../test/engine/harness.js';
import { CHAT, startWorld, type World } from '../test/chat/world.js';
import { machine, writeSection } from './report.js';

interface Row {
  name: string;
  messages: number;
  seconds: number;
  perSecond: number | null;
  p50: number | null;
  p99: number | null;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function until(what: string, probe: () => boolean, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const crash = (n: number, prefix: string) =>
  signal({ incidentType: 'crash_loop_backoff', subject: `prod.pod.${prefix}.api-${n}`, target: `deployment/${prefix}/api-${n}`, confidence: 'high', observedAt: Date.now() });

/** Every delivery of every incident settled (sent, superseded, failed). */
function drained(w: World): boolean {
  return incidentsRepo.listIncidents(w.runtime.store.db, { limit: 5000 }).every((i) => deliveriesFor(w.runtime.store.db, i.id).every((d) => d.status !== 'pending' && d.status !== 'sending'));
}

async function throughput(incidents: number): Promise<Row> {
  const w = await startWorld({ config: { log: { level: 'silent' } }, telegram: { minInterval: 1 } });
  try {
    const start = performance.now();
    for (let n = 0; n < incidents; n += 1) w.runtime.engine.ingest(crash(n, 'burst'));
    await until('every delivery', () => drained(w) && w.emu.messages(CHAT).length >= incidents);
    await w.runtime.engine.idle();
    await until('every delivery after the workers', () => drained(w));
    const seconds = (performance.now() - start) / 1000;
    const writes = w.emu.calls.filter((c) => (c.method === 'sendmessage' || c.method === 'editmessagetext') && c.status === 200).length;
    return { name: `burst: ${incidents} new incidents at once (root, prompt, replies, edits)`, messages: writes, seconds, perSecond: writes / seconds, p50: null, p99: null };
  } finally {
    await w.close();
  }
}

async function latency(incidents: number, everyMs: number): Promise<Row> {
  const w = await startWorld({ config: { log: { level: 'silent' } }, telegram: { minInterval: 1 } });
  try {
    const sentAt = new Map<string, number>();
    const start = performance.now();
    for (let n = 0; n < incidents; n += 1) {
      const s = crash(n, 'paced');
      sentAt.set(s.subject, Date.now());
      w.runtime.engine.ingest(s);
      await new Promise((r) => setTimeout(r, everyMs));
    }
    await until('every root', () => w.emu.messages(CHAT).filter((m) => m.replyTo === null).length >= incidents);
    const seconds = (performance.now() - start) / 1000;
    const latencies = w.emu
      .messages(CHAT)
      .filter((m) => m.replyTo === null)
      .map((m) => m.receivedAt - sentAt.get(/prod\.pod\.paced\.api-\d+/.exec(m.text)![0])!);
    return { name: `paced: one new incident every ${everyMs} ms, signal → root message accepted by Telegram`, messages: incidents, seconds, perSecond: incidents / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99) };
  } finally {
    await w.close();
  }
}

async function failover(kind: 'blocked' | 'server_error', failoverAfterMs: number, runs: number): Promise<Row> {
  const times: number[] = [];
  for (let r = 0; r < runs; r += 1) {
    const w = await startWorld({ config: { log: { level: 'silent' }, delivery: { failoverAfter: failoverAfterMs, probeInterval: '1h', requestTimeout: '1s' } }, telegram: { minInterval: 1 } });
    try {
      const id = w.runtime.engine.ingest(crash(r, 'fo')).incidentId!;
      await until('the root', () => w.emu.messages(CHAT).length > 0);
      await w.runtime.dispatcher.idle();
      w.emu.setFault(kind === 'blocked' ? { kind: 'blocked' } : { kind: 'server_error' });
      const start = performance.now();
      w.runtime.engine.acknowledge(id, 'bench');
      await until('the acknowledgement on the console', () => deliveriesFor(w.runtime.store.db, id).some((d) => d.outboxKey.includes(':ack:') && d.channel === 'console' && d.status === 'sent'));
      times.push(performance.now() - start);
      if (channelHealth(w.runtime.store.db, 'telegram')?.healthy !== false) throw new Error('telegram was not marked down');
    } finally {
      await w.close();
    }
  }
  const label = kind === 'blocked' ? '403 blocked → console' : `502 on every call → console (failoverAfter ${failoverAfterMs} ms)`;
  return { name: `failover: ${label}, message queued → carried by the console`, messages: runs, seconds: times.reduce((a, b) => a + b, 0) / 1000, perSecond: null, p50: pct(times, 50), p99: pct(times, 99) };
}

const rows = [await throughput(300), await latency(200, 50), await failover('blocked', 2000, 10), await failover('server_error', 2000, 5)];
const fmt = (n: number | null): string => (n === null ? '—' : n.toFixed(1));
const table = ['| scenario | messages | seconds | messages/s | p50 ms | p99 ms |', '|---|---|---|---|---|---|', ...rows.map((r) => `| ${r.name} | ${r.messages} | ${r.seconds.toFixed(2)} | ${r.perSecond === null ? '—' : Math.round(r.perSecond)} | ${fmt(r.p50)} | ${fmt(r.p99)} |`)].join('\n');
console.log(table);
if (process.argv.includes('--write')) {
  writeSection(
    '## Telegram delivery',
    `## Telegram delivery

Machine: ${machine()}. Run: ${new Date().toISOString().slice(0, 10)} with \`tsx bench/telegram.bench.ts --write\`.

The real runtime (engine, SQLite store, dispatcher, grammY channel) against the Bot API emulator over loopback, with
pacing set to 1 ms so the figures are robosre's own cost; in production Telegram's limits (about 1 message/s per chat,
20/min per group) are the bound, and a backlog becomes digests. "messages" counts Bot API writes (sendMessage and
editMessageText) answered 200. Latency rows: from \`engine.ingest\` to the emulator accepting the incident's root
message. Failover rows: from the fault and a new message queued to that message delivered on the console (403 fails over
at once; 5xx is retried with backoff until \`delivery.failoverAfter\`).

${table}
`,
  );
}
