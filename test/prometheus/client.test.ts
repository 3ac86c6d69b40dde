/**
 * The Prometheus client against Debian's real Prometheus (vectors, scalars,
 * the errors Prometheus itself returns, a stopped server) and against test
 * servers that are not Prometheus: HTML error pages, JSON of another shape,
 * a server that never answers or stops mid-body, an auth proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient, PrometheusError } from '../../adapters/prometheus/client.js';
import { waitFor } from '../alertmanager/intake.js';
import { startFakePrometheus, startPrometheus, startShopTarget, type FakePrometheus, type ShopTarget, type TestPrometheus } from './servers.js';

let prometheus: TestPrometheus;
let shop: ShopTarget;
const fakes: FakePrometheus[] = [];

beforeAll(async () => {
  shop = await startShopTarget();
  prometheus = await startPrometheus([shop.address]);
  const client = new PrometheusClient({ url: prometheus.url, timeoutMs: 5_000 });
  // Two scrapes in: both series exist.
  await waitFor('two scrapes of the shop target', () => (shop.scrapes >= 2 ? true : undefined), 30_000);
  for (const deadline = Date.now() + 20_000; (await client.query('http_requests_total', Date.now())).samples.length < 2; ) {
    if (Date.now() > deadline) throw new Error('Prometheus has not stored both series after 20 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 60_000);

afterAll(async () => {
  await prometheus?.close();
  await shop?.close();
  await Promise.all(fakes.map((f) => f.close()));
});

async function fake(respond: Parameters<typeof startFakePrometheus>[0]): Promise<FakePrometheus> {
  const f = await startFakePrometheus(respond);
  fakes.push(f);
  return f;
}

/** The PrometheusError the query fails with; fails the test if it answers. */
async function failure(client: PrometheusClient, query = 'up'): Promise<PrometheusError> {
  const error = await client.query(query, Date.now()).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PrometheusError);
  return error as PrometheusError;
}

describe('PrometheusClient against a real Prometheus', () => {
  const client = () => new PrometheusClient({ url: prometheus.url, timeoutMs: 5_000 });

  it('an instant vector: one sample per series, labels and value', async () => {
    const result = await client().query('sum by (service, code) (http_requests_total)', Date.now());
    expect(result.resultType).toBe('vector');
    expect(result.samples.map((s) => s.labels).sort((a, b) => a.code!.localeCompare(b.code!))).toEqual([
      { service: 'shop', code: '200' },
      { service: 'shop', code: '500' },
    ]);
    expect(result.samples.every((s) => typeof s.value === 'number' && s.value >= 0)).toBe(true);
  });

  it('a scalar, NaN and infinities', async () => {
    expect((await client().query('scalar(vector(0.25))', Date.now())).samples).toEqual([{ labels: {}, value: 0.25 }]);
    const [nan, inf] = await Promise.all([client().query('vector(0) / 0', Date.now()), client().query('vector(1) / 0', Date.now())]);
    expect(nan.samples[0]!.value).toBeNaN();
    expect(inf.samples[0]!.value).toBe(Number.POSITIVE_INFINITY);
  });

  it('invalid PromQL: bad_query with Prometheus errorType and message', async () => {
    const error = await failure(client(), 'sum(');
    expect(error.errorClass).toBe('bad_query');
    expect(error.context).toMatchObject({ url: prometheus.url, query: 'sum(', status: 400, errorType: 'bad_data' });
    expect(error.message).toMatch(/^HTTP 400 bad_data: .*parse error/);
  });

  it('a range vector is a rule error: bad_query', async () => {
    const error = await failure(client(), 'http_requests_total[5s]');
    expect(error.errorClass).toBe('bad_query');
    expect(error.message).toContain('returns a matrix');
  });

  it('a range query: a matrix, one series per label set, points in ms aligned to the step', async () => {
    const end = Date.now();
    const series = await client().queryRange('sum by (code) (http_requests_total)', { start: end - 60_000, end, stepSeconds: 1 });
    expect(series.map((s) => s.labels.code).sort()).toEqual(['200', '500']);
    for (const s of series) {
      expect(s.points.length).toBeGreaterThan(0);
      expect(s.points.every(([t, v]) => t >= end - 60_000 && t <= end && Number.isFinite(v))).toBe(true);
      expect(s.points.map(([t]) => t)).toEqual([...s.points.map(([t]) => t)].sort((a, b) => a - b));
    }
  });

  it('a range query Prometheus refuses (too many points, end before start): bad_query with its reason', async () => {
    const end = Date.now();
    const tooFine = await client().queryRange('up', { start: end - 86_400_000, end, stepSeconds: 1 }).catch((e: unknown) => e);
    expect(tooFine).toMatchObject({ errorClass: 'bad_query', context: { status: 400, errorType: 'bad_data' } });
    expect((tooFine as Error).message).toContain('exceeded maximum resolution of 11,000 points');
    const backwards = await client().queryRange('up', { start: end, end: end - 60_000, stepSeconds: 15 }).catch((e: unknown) => e);
    expect((backwards as Error).message).toContain('end timestamp must not be before start time');
  });

  it('a range query sends start, end and step in seconds to query_range', async () => {
    const f = await fake((res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1700000000.5,"NaN"],[1700000001.5,"2"]]}]}}'));
    const series = await new PrometheusClient({ url: f.url, timeoutMs: 1_000 }).queryRange('up', { start: 1_700_000_000_500, end: 1_700_000_001_500, stepSeconds: 1 });
    expect(f.requests[0]!.url).toBe('/api/v1/query_range?query=up&start=1700000000.500&end=1700000001.500&step=1');
    expect(series).toEqual([{ labels: { a: 'b' }, points: [[1_700_000_000_500, Number.NaN], [1_700_000_001_500, 2]] }]);
  });

  it('a path prefix in the URL is kept', async () => {
    const f = await fake((res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{"resultType":"vector","result":[]}}'));
    await new PrometheusClient({ url: `${f.url}/prometheus`, timeoutMs: 1_000 }).query('up', 1_700_000_000_123);
    expect(f.requests[0]!.url).toBe('/prometheus/api/v1/query?query=up&time=1700000000.123');
  });
});

describe('PrometheusClient against servers that are not Prometheus', () => {
  it('an HTML error page (a proxy in front): not_json with the status and the text, tags stripped', async () => {
    const f = await fake((res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>'));
    const error = await failure(new PrometheusClient({ url: f.url, timeoutMs: 1_000 }));
    expect(error.errorClass).toBe('not_json');
    expect(error.context.status).toBe(502);
    expect(error.message).toBe('HTTP 502, not JSON: 502 Bad Gateway 502 Bad Gateway nginx');
  });

  it('HTML with status 200 and an empty body: not_json', async () => {
    const html = await fake((res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>Welcome</p>'));
    expect((await failure(new PrometheusClient({ url: html.url, timeoutMs: 1_000 }))).errorClass).toBe('not_json');
    const empty = await fake((res) => res.writeHead(200).end());
    expect((await failure(new PrometheusClient({ url: empty.url, timeoutMs: 1_000 }))).message).toBe('HTTP 200, not JSON: (empty body)');
  });

  it('JSON of another shape: bad_response naming the field', async () => {
    const f = await fake((res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["1","x"]}]}}'));
    const error = await failure(new PrometheusClient({ url: f.url, timeoutMs: 1_000 }));
    expect(error.errorClass).toBe('bad_response');
    expect(error.message).toMatch(/^HTTP 200, not a Prometheus query response: data\.result\.0\.value\.0: /);
  });

  it('status error with a 503 timeout errorType: timeout; an unknown errorType: http_error', async () => {
    const slow = await fake((res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}'));
    const error = await failure(new PrometheusClient({ url: slow.url, timeoutMs: 1_000 }));
    expect(error).toMatchObject({ errorClass: 'timeout', context: { status: 503, errorType: 'timeout' } });
    const odd = await fake((res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"status":"error","errorType":"internal","error":"boom"}'));
    expect((await failure(new PrometheusClient({ url: odd.url, timeoutMs: 1_000 }))).message).toBe('HTTP 500 internal: boom');
  });

  it('a server that accepts and never answers: timeout, within the timeout', async () => {
    const f = await fake(() => undefined);
    const error = await failure(new PrometheusClient({ url: f.url, timeoutMs: 300 }));
    expect(error).toMatchObject({ errorClass: 'timeout', message: 'no answer within 300 ms' });
  });

  it('headers, then a body that never ends: timeout', async () => {
    const f = await fake((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"succ');
    });
    expect((await failure(new PrometheusClient({ url: f.url, timeoutMs: 300 }))).errorClass).toBe('timeout');
  });

  it('the connection cut mid-answer: reset', async () => {
    const f = await fake((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"status":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    expect((await failure(new PrometheusClient({ url: f.url, timeoutMs: 2_000 }))).errorClass).toBe('reset');
  });

  it('an auth proxy: 401 is auth, a redirect to its login page is http_error and is not followed', async () => {
    const denied = await fake((res) => res.writeHead(401, { 'www-authenticate': 'Basic' }).end('<html>401 Authorization Required</html>'));
    expect((await failure(new PrometheusClient({ url: denied.url, timeoutMs: 1_000 }))).errorClass).toBe('auth');
    const login = await fake((res) => res.writeHead(302, { location: '/oauth2/start' }).end());
    const error = await failure(new PrometheusClient({ url: login.url, timeoutMs: 1_000 }));
    expect(error).toMatchObject({ errorClass: 'http_error', message: 'HTTP 302 redirect to /oauth2/start' });
    expect(login.requests).toHaveLength(1);
  });

  it('bearer and basic credentials go in the Authorization header and nowhere else', async () => {
    const f = await fake((res) => res.writeHead(403, { 'content-type': 'application/json' }).end('{"status":"error","errorType":"forbidden","error":"no"}'));
    const token = 'prom-token-5b1f0e';
    const error = await failure(new PrometheusClient({ url: f.url, timeoutMs: 1_000, auth: { kind: 'bearer', token } }));
    expect(error.errorClass).toBe('auth');
    await failure(new PrometheusClient({ url: f.url, timeoutMs: 1_000, auth: { kind: 'basic', username: 'robosre', password: 'pw-91ce' } }));
    expect(f.requests.map((r) => r.authorization)).toEqual([`Bearer ${token}`, `Basic ${Buffer.from('robosre:pw-91ce').toString('base64')}`]);
    expect(JSON.stringify({ message: error.message, context: error.context })).not.toContain(token);
  });

  it('nothing listening (Prometheus stopped): refused', async () => {
    await prometheus.stop();
    const error = await failure(new PrometheusClient({ url: prometheus.url, timeoutMs: 1_000 }));
    expect(error.errorClass).toBe('refused');
    expect(error.message).toMatch(/^ECONNREFUSED/);
  });
});
