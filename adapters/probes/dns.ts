/** DNS resolution of the configured names through node:dns, against a configured server or the system's; optionally checked against the expected addresses. */
import { Resolver } from 'node:dns/promises';
import { ProbeFailure } from './classify.js';
import { onAbort, type Check } from './check.js';
import type { DnsProbeSpec } from './spec.js';

export const dnsCheck: Check<DnsProbeSpec> = async (spec, ctx) => {
  // One try: the probe's own schedule is the retry, and a retry would run into the deadline anyway.
  const resolver = new Resolver({ timeout: spec.timeoutMs, tries: 1 });
  if (spec.server) resolver.setServers([spec.server]);
  const release = onAbort(ctx.signal, () => resolver.cancel());
  try {
    ctx.phase = `resolving ${spec.names.join(', ')}${spec.server ? ` at ${spec.server}` : ''}`;
    const lookup = (name: string) => (spec.recordType === 'AAAA' ? resolver.resolve6(name) : resolver.resolve4(name));
    const answers = Object.fromEntries(await Promise.all(spec.names.map(async (name) => [name, (await lookup(name)).sort()] as const)));
    if (spec.expect) {
      const expected = [...spec.expect].sort();
      const wrong = spec.names.filter((name) => answers[name]!.join() !== expected.join());
      if (wrong.length) {
        const said = wrong.map((name) => `${name} answered ${answers[name]!.join(', ')}`).join('; ');
        throw new ProbeFailure('unexpected_answer', `${said}; expected ${expected.join(', ')}`, { answers, expected });
      }
    }
    return { answers };
  } finally {
    release();
  }
};
