/**
 * A test kubelet: the one endpoint the API server's `pods/log` proxy calls,
 * `GET /containerLogs/<namespace>/<pod>/<container>?tailLines=…&limitBytes=…&previous=…`,
 * over HTTPS on loopback with a self-signed certificate (the API server runs
 * without --kubelet-certificate-authority, so it does not verify it). A Node
 * whose status names 127.0.0.1 and this port (status.addresses,
 * status.daemonEndpoints.kubeletEndpoint) sends its pods' log reads here.
 * It records each request, so a test can show the proxy really reached it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';

export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  query: Record<string, string>;
}

export interface TestKubelet {
  port: number;
  requests: LogRequest[];
  /** What `/containerLogs/<namespace>/<pod>/<container>` answers (bytes as given), previous or current. */
  setLog(namespace: string, pod: string, container: string, log: string | Buffer): void;
  /** The status a Node pointing at this kubelet reports. */
  nodeStatus(): k8s.V1NodeStatus;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1, made with openssl (node:crypto makes keys, not X.509 certificates). */
function selfSigned(dir: string): { key: Buffer; cert: Buffer } {
  const key = join(dir, 'kubelet.key');
  const cert = join(dir, 'kubelet.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

/** As the kubelet does: the last `tailLines` lines, then of those the last `limitBytes` bytes, cut wherever the limit falls. */
function tail(bytes: Buffer, query: URLSearchParams): Buffer {
  let start = 0;
  const lines = query.get('tailLines');
  if (lines !== null) {
    // The last n newline-terminated lines: find the newline before them, counting from the end (a final newline ends the last line).
    let seen = 0;
    for (let i = bytes.length - 2; i >= 0; i -= 1) {
      if (bytes[i] === 0x0a && ++seen === Number(lines)) {
        start = i + 1;
        break;
      }
    }
  }
  const limit = query.get('limitBytes');
  if (limit !== null) start = Math.max(start, bytes.length - Number(limit));
  return bytes.subarray(start);
}

export async function startTestKubelet(): Promise<TestKubelet> {
  const dir = mkdtempSync(join(tmpdir(), 'robosre-kubelet-'));
  const logs = new Map<string, string | Buffer>();
  const requests: LogRequest[] = [];
  const server: Server = createServer(selfSigned(dir), (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) {
      res.writeHead(404).end('not found');
      return;
    }
    const [, namespace, pod, container] = match as unknown as [string, string, string, string];
    requests.push({ namespace, pod, container, query: Object.fromEntries(url.searchParams) });
    const log = logs.get(`${namespace}/${pod}/${container}`);
    if (log === undefined) {
      res.writeHead(404).end(`container ${container} not found`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(tail(Buffer.isBuffer(log) ? log : Buffer.from(log, 'utf8'), url.searchParams));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    setLog: (namespace, pod, container, log) => void logs.set(`${namespace}/${pod}/${container}`, log),
    nodeStatus: () => ({
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() }],
    }),
    close: async () => {
      // The API server keeps its connection to a kubelet open: close it too, or close() waits for it.
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
