/**
 * A real Prometheus (Debian's /usr/bin/prometheus) in a temp dir on a free
 * loopback port, scraping every second, and the target it scrapes: a
 * node:http server exposing `http_requests_total{service,code}` whose error
 * rate the test sets. Counters advance by the set amount at each scrape, not
 * with wall time, so the ratio Prometheus computes is exactly the one set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../probes/servers.js';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface TestPrometheus {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

export async function startPrometheus(targets: string[]): Promise<TestPrometheus> {
  if (!existsSync(PROMETHEUS_BIN)) throw new Error(`Prometheus not found at ${PROMETHEUS_BIN}: install it with \`apt-get install -y prometheus\` (.ci/run does), or set PROMETHEUS_BIN`);
  const dir = mkdtempSync(join(tmpdir(), 'robosre-prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({ global: { scrape_interval: '1s', evaluation_interval: '1s' }, scrape_configs: [{ job_name: 'shop', scrape_interval: '1s', static_configs: [{ targets }] }] }),
  );
  let child: ChildProcess | undefined;
  const handle: TestPrometheus = {
    url,
    async start() {
      let output = '';
      const c = spawn(PROMETHEUS_BIN, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      c.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      c.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      const died = new Promise<never>((_, reject) => c.once('exit', (code) => reject(new Error(`prometheus exited with ${code}: ${output.slice(-2000)}`))));
      const ready = (async () => {
        const deadline = Date.now() + 30_000;
        for (;;) {
          const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
          if (ok) return;
          if (Date.now() > deadline) throw new Error(`prometheus not ready after 30 s: ${output.slice(-2000)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      await Promise.race([ready, died]);
      died.catch(() => undefined);
    },
    async stop() {
      if (!child) return;
      const c = child;
      child = undefined;
      c.kill('SIGTERM');
      await exited(c);
    },
    async close() {
      await handle.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}

export interface ShopTarget {
  /** host:port, as Prometheus's static_configs want it. */
  address: string;
  /** Requests added per scrape, by status code. */
  set(perScrape: { ok: number; errors: number }): void;
  /** Scrapes answered. */
  scrapes: number;
  close(): Promise<void>;
}

export async function startShopTarget(): Promise<ShopTarget> {
  const counts = { '200': 0, '500': 0 };
  let step = { ok: 100, errors: 0 };
  const target: ShopTarget = {
    address: '',
    set(perScrape) {
      step = perScrape;
    },
    scrapes: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    counts['200'] += step.ok;
    counts['500'] += step.errors;
    target.scrapes += 1;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(
      [
        '# HELP http_requests_total Requests served, by status code.',
        '# TYPE http_requests_total counter',
        `http_requests_total{service="shop",code="200"} ${counts['200']}`,
        `http_requests_total{service="shop",code="500"} ${counts['500']}`,
        '',
      ].join('\n'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target.address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return target;
}

export interface FakePrometheus {
  url: string;
  /** The requests seen: path with query string, and the Authorization header. */
  requests: Array<{ url: string; authorization?: string }>;
  close(): Promise<void>;
}

/** Something that is not (quite) Prometheus: every request is answered by `respond`, which may also never answer. */
export async function startFakePrometheus(respond: (res: ServerResponse, url: URL) => void): Promise<FakePrometheus> {
  const requests: FakePrometheus['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    respond(res, new URL(req.url ?? '/', 'http://fake'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
