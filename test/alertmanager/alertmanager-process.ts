/**
 * A real Alertmanager (Debian's prometheus-alertmanager) on a free loopback
 * port, single-node, with a temp storage dir and a webhook receiver pointing
 * at robosre. Alerts go in through its own API, as Prometheus would send them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

export interface AlertmanagerOptions {
  webhookUrl: string;
  /** Sent as `http_config.authorization.credentials`. */
  token: string;
  groupBy: string[];
  groupInterval?: string;
  /** Alerts labelled `receiver: <name>` go to a receiver of their own that presents this token instead. */
  otherReceivers?: { name: string; token: string }[];
}

export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface Alertmanager {
  url: string;
  push(alerts: PostableAlert[]): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('could not get a free port');
  return address.port;
}

function config(options: AlertmanagerOptions): string {
  const receiver = (name: string, token: string): object => ({
    name,
    webhook_configs: [{ url: options.webhookUrl, send_resolved: true, http_config: { authorization: { type: 'Bearer', credentials: token } } }],
  });
  const others = options.otherReceivers ?? [];
  return stringify({
    route: {
      receiver: 'robosre',
      group_by: options.groupBy,
      group_wait: '0s',
      group_interval: options.groupInterval ?? '1s',
      repeat_interval: '12h',
      routes: others.map((o) => ({ receiver: o.name, matchers: [`receiver="${o.name}"`] })),
    },
    receivers: [receiver('robosre', options.token), ...others.map((o) => receiver(o.name, o.token))],
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function startAlertmanager(options: AlertmanagerOptions): Promise<Alertmanager> {
  if (!existsSync(ALERTMANAGER_BIN)) {
    throw new Error(`Alertmanager not found at ${ALERTMANAGER_BIN}: install it with \`apt-get install -y prometheus-alertmanager\` (.ci/run does), or set ALERTMANAGER_BIN`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'robosre-alertmanager-'));
  writeFileSync(join(dir, 'alertmanager.yml'), config(options));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    ALERTMANAGER_BIN,
    [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited(child);
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`Alertmanager exited with code ${child.exitCode}: ${stderr}`);
    }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Alertmanager did not become ready within 20s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    push: async (alerts) => {
      const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
      if (!res.ok) throw new Error(`Alertmanager refused the alerts: ${res.status} ${await res.text()}`);
    },
    stop,
  };
}
