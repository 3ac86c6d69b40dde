/**
 * TLS handshake that looks at the certificate instead of giving up on it:
 * verification is done here, after the handshake, so an expired, misnamed
 * and untrusted certificate are three different findings with the
 * certificate's dates in the evidence, not one opaque handshake error.
 */
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import { ProbeFailure } from './classify.js';
import { onAbort, type Check } from './check.js';
import type { TlsProbeSpec } from './spec.js';

const DAY = 86_400_000;

function describe(cert: PeerCertificate, now: number, servername: string, authorizationError: string | null): Record<string, unknown> {
  const validTo = Date.parse(cert.valid_to);
  return {
    servername,
    subject: cert.subject?.CN ?? null,
    issuer: cert.issuer?.CN ?? null,
    altNames: cert.subjectaltname ?? null,
    validFrom: new Date(Date.parse(cert.valid_from)).toISOString(),
    validTo: new Date(validTo).toISOString(),
    daysLeft: Math.floor(((validTo - now) / DAY) * 10) / 10,
    fingerprint256: cert.fingerprint256,
    authorizationError,
  };
}

export const tlsCheck: Check<TlsProbeSpec> = (spec, ctx) =>
  new Promise((resolve, reject) => {
    const servername = spec.servername ?? spec.host;
    ctx.phase = 'connecting';
    const socket = connect({
      host: spec.host,
      port: spec.port,
      // SNI may not be an IP address.
      ...(/^[\d.]+$|:/.test(servername) ? {} : { servername }),
      rejectUnauthorized: false,
      ...(spec.ca ? { ca: spec.ca } : {}),
    });
    const release = onAbort(ctx.signal, () => socket.destroy());
    socket.once('connect', () => (ctx.phase = 'doing the TLS handshake'));
    socket.once('secureConnect', () => {
      release();
      const cert = socket.getPeerCertificate();
      const authorized = socket.authorized;
      const authorizationError = socket.authorizationError ? String(socket.authorizationError) : null;
      socket.destroy();
      if (!cert || !cert.valid_to) {
        reject(new ProbeFailure('tls', 'the server sent no certificate'));
        return;
      }
      const now = ctx.now();
      const details = describe(cert, now, servername, authorizationError);
      const daysLeft = details.daysLeft as number;
      if (daysLeft < 0 || authorizationError === 'CERT_HAS_EXPIRED') {
        reject(new ProbeFailure('cert_expired', `certificate ${String(details.subject)} expired ${String(details.validTo)}`, details));
        return;
      }
      const identity = checkServerIdentity(servername, cert);
      if (identity) {
        reject(new ProbeFailure('cert_hostname', `certificate does not name ${servername}: ${identity.message}`, details));
        return;
      }
      if (!authorized) {
        reject(new ProbeFailure('cert_untrusted', `certificate chain not trusted: ${authorizationError ?? 'unknown reason'}`, details));
        return;
      }
      if (daysLeft < spec.minDaysLeft) {
        reject(new ProbeFailure('cert_expiring', `certificate ${String(details.subject)} expires in ${daysLeft} days (${String(details.validTo)}), less than ${spec.minDaysLeft}`, details));
        return;
      }
      resolve(details);
    });
    socket.once('error', (error: Error) => {
      release();
      reject(error);
    });
  });
