/**
 * Conversations through the outbox to the platform emulators, with the real
 * SDKs (grammY, Bolt, twilio-node): delivery throughput, detection-to-
 * delivered latency, Slack's slash-command ack latency, and the time to fail
 * over. `--write` records the results in bench/results.md.
 */
import { performance } from 'node:perf_hooks';
import { channelHealth, deliveriesFor } from '../src/store/deliveries.repo.js';
import * as incidentsRepo from '../src/store/incidents.repo.js';
import { signal } from '../test/engine/harness.js';
import { CHAT, SLACK_ALICE, SLACK_CHANNEL, SLACK_SECRET, WA_ALICE, startWorld, type World } from '../test/chat/world.js';
import { postSigned, slashCommandBody } from '../test/slack/slack-emulator.js';
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

type Platform = 'telegram' | 'slack' | 'whatsapp';

/** A world where only `platform` carries conversations, unpaced. */
function only(platform: Platform, config: Record<string, unknown> = {}): Promise<World> {
  return startWorld({
    telegram: platform === 'telegram' ? { minInterval: 1 } : false,
    ...(platform === 'slack' ? { slack: { minInterval: 1 } } : {}),
    ...(platform === 'whatsapp' ? { whatsapp: { minInterval: 1 } } : {}),
    config: { log: { level: 'silent' }, routing: { default: [platform] }, ...config },
  });
}

/** Platform writes answered with success. */
function writes(w: World, platform: Platform): number {
  if (platform === 'telegram') return w.emu.calls.filter((c) => (c.method === 'sendmessage' || c.method === 'editmessagetext') && c.status === 200).length;
  if (platform === 'slack') return w.slack.calls.filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.status === 200 && !c.error).length;
  return w.twilio.calls.filter((c) => c.method === 'POST' && c.status === 201).length;
}

function roots(w: World, platform: Platform): number {
  if (platform === 'telegram') return w.emu.messages(CHAT).filter((m) => m.replyTo === null).length;
  if (platform === 'slack') return w.slack.messages(SLACK_CHANNEL).filter((m) => m.threadTs === null).length;
  return w.twilio.messages(WA_ALICE).length;
}

async function throughput(platform: Platform, incidents: number): Promise<Row> {
  const w = await only(platform);
  try {
    const start = performance.now();
    for (let n = 0; n < incidents; n += 1) w.runtime.engine.ingest(crash(n, 'burst'));
    await until('every root', () => roots(w, platform) >= incidents);
    await w.runtime.engine.idle();
    await until('every delivery after the workers', () => drained(w));
    const seconds = (performance.now() - start) / 1000;
    const count = writes(w, platform);
    return { name: `${platform} burst: ${incidents} new incidents at once (root, prompt, replies${platform === 'whatsapp' ? '' : ', edits'})`, messages: count, seconds, perSecond: count / seconds, p50: null, p99: null };
  } finally {
    await w.close();
  }
}

/** Slack answers a slash command within 3 s or the user sees a timeout: time from POST to robosre's answer. */
async function slashAck(commands: number): Promise<Row> {
  const w = await only('slack');
  try {
    for (let n = 0; n < 20; n += 1) w.runtime.engine.ingest(crash(n, 'ack'));
    await w.runtime.engine.idle();
    const times: number[] = [];
    const texts = ['help', 'incidents', 'status 1', 'ack 2', 'frobnicate'];
    const start = performance.now();
    for (let n = 0; n < commands; n += 1) {
      const res = await postSigned(`${w.url}/slack/events`, SLACK_SECRET, slashCommandBody({ userId: SLACK_ALICE, channelId: SLACK_CHANNEL, text: texts[n % texts.length]!, responseUrl: w.slack.responseUrl() }));
      if (res.status !== 200) throw new Error(`slash command answered ${res.status}`);
      times.push(res.ms);
    }
    const seconds = (performance.now() - start) / 1000;
    return { name: `slack: /sre commands (help, incidents, status, ack, unknown), signed POST → ack received`, messages: commands, seconds, perSecond: commands / seconds, p50: pct(times, 50), p99: pct(times, 99) };
  } finally {
    await w.close();
  }
}

async function latency(incidents: number, everyMs: number): Promise<Row> {
  const w = await only('telegram');
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
    return { name: `telegram paced: one new incident every ${everyMs} ms, signal → root message accepted`, messages: incidents, seconds, perSecond: incidents / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99) };
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
  const label = kind === 'blocked' ? 'telegram 403 blocked → console' : `telegram 502 on every call → console (failoverAfter ${failoverAfterMs} ms)`;
  return { name: `failover: ${label}, message queued → carried by the console`, messages: runs, seconds: times.reduce((a, b) => a + b, 0) / 1000, perSecond: null, p50: pct(times, 50), p99: pct(times, 99) };
}

const rows = [
  await throughput('telegram', 300),
  await throughput('slack', 300),
  await throughput('whatsapp', 300),
  await latency(200, 50),
  await slashAck(500),
  await failover('blocked', 2000, 10),
  await failover('server_error', 2000, 5),
];
const fmt = (n: number | null): string => (n === null ? '—' : n.toFixed(1));
const table = ['| scenario | messages | seconds | messages/s | p50 ms | p99 ms |', '|---|---|---|---|---|---|', ...rows.map((r) => `| ${r.name} | ${r.messages} | ${r.seconds.toFixed(2)} | ${r.perSecond === null ? '—' : Math.round(r.perSecond)} | ${fmt(r.p50)} | ${fmt(r.p99)} |`)].join('\n');
console.log(table);
if (process.argv.includes('--write')) {
  writeSection(
    '## Chat delivery',
    `## Chat delivery

Machine: ${machine()}. Run: ${new Date().toISOString().slice(0, 10)} with \`tsx bench/chat.bench.ts --write\`.

The real runtime (engine, SQLite store, dispatcher, the grammY, Bolt and twilio-node channels, robosre's HTTP server)
against the platform emulators over loopback, with pacing set to 1 ms so the figures are robosre's own cost; in
production the platforms' limits (Telegram about 1 message/s per chat and 20/min per group, Slack about 1/s per
channel) are the bound, and a backlog becomes digests. "messages" counts platform writes answered with success
(Telegram sendMessage/editMessageText, Slack chat.postMessage/chat.update, Twilio message creates; WhatsApp cannot
edit). Latency rows: from \`engine.ingest\` to the emulator accepting the incident's root message; for Slack
commands, from the signed POST to robosre's ack (Slack's limit is 3 s). Failover rows: from the fault and a new
message queued to that message delivered on the console (403 fails over at once; 5xx is retried with backoff until
\`delivery.failoverAfter\`).

${table}
`,
  );
}
