/**
 * HTTP(S) GET with an expected status and, optionally, text in the body.
 * Redirects are not followed: a route that starts redirecting has changed.
 * Only the first 64 KiB of the body are read; the deadline covers headers
 * and body alike, so a server that trickles bytes (slow loris) times out.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ProbeFailure } from './classify.js';
import { onAbort, type Check } from './check.js';
import type { HttpProbeSpec } from './spec.js';

const BODY_LIMIT = 64 * 1024;

function statusAccepted(spec: HttpProbeSpec, status: number): boolean {
  return spec.expectStatus.length ? spec.expectStatus.includes(status) : status >= 200 && status < 400;
}

export const httpCheck: Check<HttpProbeSpec> = (spec, ctx) =>
  new Promise((resolve, reject) => {
    const url = new URL(spec.url);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    ctx.phase = 'connecting';
    const req = request(
      url,
      {
        method: 'GET',
        // A fresh connection each time: a pooled one would hide a listener that stopped accepting.
        agent: false,
        headers: { 'user-agent': 'robosre-probe', accept: '*/*', connection: 'close' },
        ...(url.protocol === 'https:' ? { rejectUnauthorized: !spec.insecure, ...(spec.ca ? { ca: spec.ca } : {}) } : {}),
      },
      (res: IncomingMessage) => {
        ctx.phase = `reading the body (status ${res.statusCode})`;
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const judge = () => {
          release();
          req.destroy();
          const details = { status };
          if (!statusAccepted(spec, status)) {
            reject(new ProbeFailure('unexpected_status', `status ${status} ${res.statusMessage ?? ''}, expected ${spec.expectStatus.length ? spec.expectStatus.join(' or ') : '2xx or 3xx'}`.trim(), details));
            return;
          }
          const body = Buffer.concat(chunks).toString('utf8');
          if (spec.expectBody !== undefined && !body.includes(spec.expectBody)) {
            reject(new ProbeFailure('unexpected_body', `status ${status} but the first ${size} bytes of the body do not contain "${spec.expectBody}"`, details));
            return;
          }
          resolve(details);
        };
        res.on('data', (chunk: Buffer) => {
          if (size >= BODY_LIMIT) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= BODY_LIMIT) judge();
        });
        res.once('end', judge);
        res.once('error', (error) => {
          release();
          reject(error);
        });
      },
    );
    const release = onAbort(ctx.signal, () => req.destroy());
    req.once('socket', (socket) => {
      socket.once('connect', () => (ctx.phase = url.protocol === 'https:' ? 'doing the TLS handshake' : 'waiting for the response headers'));
      socket.once('secureConnect', () => (ctx.phase = 'waiting for the response headers'));
    });
    req.once('error', (error) => {
      release();
      reject(error);
    });
    req.end();
  });
