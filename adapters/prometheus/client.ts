/**
 * A small client for Prometheus's instant query (`GET /api/v1/query`) and
 * range query (`GET /api/v1/query_range`). Every
 * failure becomes one PrometheusError with a class, so a hanging server, a
 * proxy's HTML error page and a PromQL typo are told apart in the robot's
 * health report. Credentials go in the Authorization header only, never in
 * the URL, a message or the error context.
 */
import { z } from 'zod';
import type { ProbeErrorClass } from '../../src/detectors/probes/result.js';
import type { SeriesSample } from '../../src/detectors/golden-signals/golden-signal-detector.js';
import { classifyError } from '../probes/classify.js';

export type PrometheusAuth = { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string };

export type PrometheusErrorClass =
  /** Network failures, classified as the probes classify them (timeout, refused, dns, reset, tls, cert_*). */
  | ProbeErrorClass
  /** 401/403: the credentials are missing or refused. */
  | 'auth'
  /** Prometheus refused the query itself (bad_data, execution): the rule is broken, not Prometheus. */
  | 'bad_query'
  /** Any other HTTP status outside 2xx, including a redirect (an auth proxy sending to its login page). */
  | 'http_error'
  /** The body is not JSON: an HTML error page, a proxy in front, not Prometheus at all. */
  | 'not_json'
  /** JSON, but not the shape of a Prometheus query response (or a result type a rule cannot judge). */
  | 'bad_response';

export class PrometheusError extends Error {
  constructor(
    readonly errorClass: PrometheusErrorClass,
    message: string,
    readonly context: { url: string; query: string; status?: number; errorType?: string },
  ) {
    super(message);
    this.name = 'PrometheusError';
  }
}

export interface QueryResult {
  resultType: 'vector' | 'scalar';
  samples: SeriesSample[];
}

/** One series of a range query: its labels and its points, `[ms, value]`, oldest first; absent samples are absent. */
export interface RangeSeries {
  labels: Record<string, string>;
  points: Array<[number, number]>;
}

export interface RangeQuery {
  /** Unix ms; Prometheus aligns samples to start + k·step. */
  start: number;
  end: number;
  stepSeconds: number;
}

const sampleValue = z.tuple([z.number(), z.string()]);
// Not strict: newer Prometheus versions add fields (infos, native histograms) a rule does not need.
const responseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sampleValue })) }),
      z.object({ resultType: z.literal('scalar'), result: sampleValue }),
      z.object({ resultType: z.literal('matrix'), result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(sampleValue) })) }),
      z.object({ resultType: z.literal('string'), result: z.unknown() }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);

const ERROR_TYPES: Record<string, PrometheusErrorClass> = { bad_data: 'bad_query', execution: 'bad_query', timeout: 'timeout', canceled: 'timeout' };

/** Prometheus writes floats as strings, with its own spelling for infinities. */
function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** The start of a body that is not JSON, as one line, for the message. */
function snippet(body: string): string {
  return body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
}

export interface PrometheusClientOptions {
  /** Base URL, e.g. http://prometheus.monitoring.svc:9090 or a path prefix behind a proxy. */
  url: string;
  timeoutMs: number;
  auth?: PrometheusAuth;
}

export class PrometheusClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: PrometheusClientOptions) {
    this.base = options.url.endsWith('/') ? options.url : `${options.url}/`;
    const auth = options.auth;
    this.headers = { accept: 'application/json' };
    if (auth?.kind === 'bearer') this.headers.authorization = `Bearer ${auth.token}`;
    if (auth?.kind === 'basic') this.headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  }

  /** The URL as shown in evidence and logs. */
  get url(): string {
    return this.options.url;
  }

  /** Evaluates `query` at `time` (ms); ends within the timeout, headers and body included. */
  async query(query: string, time: number): Promise<QueryResult> {
    const { data, fail } = await this.get('api/v1/query', query, { time: seconds(time) });
    if (data.resultType === 'vector') return { resultType: 'vector', samples: data.result.map((s) => ({ labels: s.metric, value: parseValue(s.value[1]) })) };
    if (data.resultType === 'scalar') return { resultType: 'scalar', samples: [{ labels: {}, value: parseValue(data.result[1]) }] };
    throw fail('bad_query', `the query returns a ${data.resultType}; a rule needs an instant vector or a scalar`);
  }

  /** Evaluates `query` over a range; Prometheus itself refuses more than 11 000 points per series. */
  async queryRange(query: string, range: RangeQuery): Promise<RangeSeries[]> {
    const { data, fail } = await this.get('api/v1/query_range', query, { start: seconds(range.start), end: seconds(range.end), step: String(range.stepSeconds) });
    if (data.resultType !== 'matrix') throw fail('bad_response', `a range query answered with a ${data.resultType}`);
    return data.result.map((s) => ({ labels: s.metric, points: s.values.map(([t, v]): [number, number] => [Math.round(t * 1000), parseValue(v)]) }));
  }

  private async get(path: string, query: string, params: Record<string, string>) {
    const url = new URL(path, this.base);
    url.searchParams.set('query', query);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const context = { url: this.options.url, query };
    let status: number | undefined;
    const fail = (errorClass: PrometheusErrorClass, message: string, extra: { errorType?: string } = {}) => new PrometheusError(errorClass, message, { ...context, ...(status === undefined ? {} : { status }), ...extra });
    let body: string;
    try {
      // Redirects are not followed: the Authorization header stays with this origin, and a login page is reported as such.
      const response = await fetch(url, { headers: this.headers, redirect: 'manual', signal: AbortSignal.timeout(this.options.timeoutMs) });
      status = response.status;
      if (status >= 300 && status < 400) throw fail('http_error', `HTTP ${status} redirect to ${response.headers.get('location') ?? '(no location)'}`);
      body = await response.text();
    } catch (error) {
      if (error instanceof PrometheusError) throw error;
      status = undefined;
      if (error instanceof Error && error.name === 'TimeoutError') throw fail('timeout', `no answer within ${this.options.timeoutMs} ms`);
      // fetch reports network failures as "fetch failed" with the socket error as the cause.
      const cause = error instanceof Error && error.cause ? error.cause : error;
      if ((cause as { code?: unknown }).code === 'UND_ERR_SOCKET') throw fail('reset', `connection closed mid-answer: ${(cause as Error).message}`);
      const { errorClass, message } = classifyError(cause);
      throw fail(errorClass, message);
    }
    // An auth proxy answers in its own format; the status says enough.
    if (status === 401 || status === 403) throw fail('auth', `HTTP ${status}: ${snippet(body) || '(empty body)'}`);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw fail('not_json', `HTTP ${status}, not JSON: ${snippet(body) || '(empty body)'}`);
    }
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) {
      const problem = parsed.error.issues[0];
      throw fail(status >= 400 ? 'http_error' : 'bad_response', `HTTP ${status}, not a Prometheus query response: ${problem ? `${problem.path.join('.') || '(root)'}: ${problem.message}` : 'unknown shape'}`);
    }
    const answer = parsed.data;
    if (answer.status === 'error') {
      throw fail(ERROR_TYPES[answer.errorType] ?? 'http_error', `HTTP ${status} ${answer.errorType}: ${answer.error.slice(0, 500)}`, { errorType: answer.errorType });
    }
    if (status >= 400) throw fail('http_error', `HTTP ${status} with a success body`);
    return { data: answer.data, fail };
  }
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);
