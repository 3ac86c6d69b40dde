/**
 * The connection every watch of one cluster shares: HTTP/2 (the API server
 * offers it over TLS), PINGed every `PING_INTERVAL_MS`. A PING still
 * unanswered at the next one makes undici drop the connection, which ends
 * every watch on it with an error, so a half-open path (a stalled load
 * balancer or tunnel, a frozen API server) is given up within two intervals
 * and the watches are re-made on a fresh connection. This is client-go's
 * liveness check (HTTP/2 read-idle 30 s, PING timeout 15 s), not a bound on
 * silence: a quiet watch on a live connection is left alone, however long
 * the API server goes without bookmarking it. See docs/adr/0004.
 *
 * The library builds a new dispatcher (and so a new connection) for every
 * request, with 5 min header and body timeouts; watches here get one agent,
 * with no body timeout (quiet is not dead) and 30 s for the answer.
 */
import type { RequestOptions } from 'node:https';
import type * as k8s from '@kubernetes/client-node';
import { Agent } from 'undici';

export const PING_INTERVAL_MS = 15_000;
/** The API server answers a watch request (200, headers flushed) before its first event; one not answered by then is given up and retried, rather than waiting out the watch's own long silence bound. */
const HEADERS_TIMEOUT_MS = 30_000;

export interface WatchTransport {
  /** The cluster's kubeconfig, with its watch requests sent through the shared agent. */
  config: k8s.KubeConfig;
  close(): Promise<void>;
}

export function watchTransport(kc: k8s.KubeConfig): WatchTransport {
  // null: a proxy is configured, and the library's own proxy dispatcher is kept (no PINGs then; docs/kubernetes.md).
  let agent: Promise<Agent | null> | undefined;
  const build = async (): Promise<Agent | null> => {
    const tls: RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    const options = kc.createDispatcherOptions(kc.getCurrentCluster(), {
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      pfx: tls.pfx,
      passphrase: tls.passphrase,
      ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
      ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    });
    if (options.type === 'proxy' || options.type === 'socks') return null;
    return new Agent({ ...(options.type === 'agent' ? { connect: options.connect } : {}), allowH2: true, pingInterval: PING_INTERVAL_MS, headersTimeout: HEADERS_TIMEOUT_MS, bodyTimeout: 0 });
  };
  // Everything else (cluster, user, contexts) is read through to the caller's kubeconfig.
  const config = Object.create(kc) as k8s.KubeConfig;
  config.applySecurityAuthentication = async (context) => {
    await kc.applySecurityAuthentication(context);
    const shared = await (agent ??= build());
    if (shared) context.setDispatcher(shared);
  };
  return {
    config,
    close: async () => {
      const shared = await agent;
      agent = undefined;
      await shared?.close();
    },
  };
}
