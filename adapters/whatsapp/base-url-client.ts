/**
 * twilio-node rewrites every host name through its edge/region logic, so a
 * self-hosted proxy or a test emulator cannot be reached by changing the
 * host alone. The SDK's documented extension point is a custom HTTP client:
 * this one keeps each request's path and query and swaps the origin.
 */
import RequestClient from 'twilio/lib/base/RequestClient.js';

export class BaseUrlHttpClient extends RequestClient {
  constructor(private readonly baseUrl: string) {
    super({ timeout: 10_000 });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>): ReturnType<typeof RequestClient.prototype.request<TData>> {
    const url = new URL(opts.uri);
    return super.request<TData>({ ...opts, uri: `${this.baseUrl.replace(/\/$/, '')}${url.pathname}${url.search}` });
  }
}
