/**
 * A bounded tail of a container's log, the one evidence lookup that costs an
 * API request (the API server proxies it to the kubelet). So it is asked once
 * per incident, not per event; answers are cached per container restart;
 * requests are throttled and, past a short queue, skipped rather than piled
 * up — a bad rollout crash-looping 300 pods must not become 300 requests at
 * once. The tail is sanitised and redacted by shape and by secretlint's
 * rules (src/redaction/) before it is kept or cached: nothing unredacted
 * outlives the answer.
 */
import type * as k8s from '@kubernetes/client-node';
import pThrottle, { type ThrottledFunction } from 'p-throttle';
import { NO_SECRETS, type Redactor } from '../../src/redaction/redactor.js';
import { apiErrorMessage } from './api-error.js';

export interface LogTailOptions {
  /** Lines from the end of the log. */
  tailLines: number;
  /** Hard cap on what the API server sends back. */
  limitBytes: number;
  /** Requests per second to the API server, at most. */
  perSecond: number;
  /** Requests waiting beyond this are skipped. */
  maxQueued: number;
}

export const DEFAULT_LOG_TAIL: LogTailOptions = { tailLines: 50, limitBytes: 16 * 1024, perSecond: 2, maxQueued: 20 };

export type LogTail = { ok: true; text: string } | { ok: false; reason: string };

const CACHE_SIZE = 1_000;

export class LogTails {
  private readonly cache = new Map<string, Promise<LogTail>>();
  private readonly throttled: ThrottledFunction<(params: k8s.CoreV1ApiReadNamespacedPodLogRequest) => Promise<string>>;

  constructor(
    core: k8s.CoreV1Api,
    private readonly options: LogTailOptions = DEFAULT_LOG_TAIL,
    // The engine redacts by value too, before it stores the evidence; here the tail has no config to ask.
    private readonly redactor: Redactor = NO_SECRETS,
  ) {
    this.throttled = pThrottle({ limit: options.perSecond, interval: 1000 })((params: k8s.CoreV1ApiReadNamespacedPodLogRequest) => core.readNamespacedPodLog(params));
  }

  /** The previous (crashed) instance's log when `previous`, else the running one's. */
  tail(namespace: string, pod: string, container: string, restartCount: number, previous: boolean): Promise<LogTail> {
    const key = `${namespace}/${pod}/${container}/${restartCount}/${previous}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    if (this.throttled.queueSize >= this.options.maxQueued) {
      return Promise.resolve({ ok: false, reason: `skipped: more than ${this.options.maxQueued} log requests queued` });
    }
    const result = this.throttled({ name: pod, namespace, container, previous, tailLines: this.options.tailLines, limitBytes: this.options.limitBytes }).then(
      async (text): Promise<LogTail> => ({ ok: true, text: await this.redactor.evidence(text) }),
      (error: unknown): LogTail => ({ ok: false, reason: this.redactor.text(apiErrorMessage(error, 300)) }),
    );
    this.cache.set(key, result);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return result;
  }
}
