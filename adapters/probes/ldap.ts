/** LDAP simple bind (anonymous without a bind DN) and an optional search that must find an entry, through ldapts; one connection per check. */
import { Client } from 'ldapts';
import { ProbeFailure } from './classify.js';
import { onAbort, type Check } from './check.js';
import { hostPort } from './describe.js';
import type { LdapProbeSpec } from './spec.js';

export const ldapCheck: Check<LdapProbeSpec> = async (spec, ctx) => {
  const client = new Client({ url: `ldap://${hostPort(spec.host, spec.port)}`, timeout: spec.timeoutMs, connectTimeout: spec.timeoutMs });
  // unbind destroys the socket in every state, connecting included.
  const release = onAbort(ctx.signal, () => void client.unbind().catch(() => undefined));
  try {
    ctx.phase = 'connecting and binding';
    await client.bind(spec.bindDn ?? '', spec.password ?? '');
    if (!spec.search) return undefined;
    ctx.phase = 'waiting for the search';
    const { base, filter, scope } = spec.search;
    const { searchEntries } = await client.search(base, { filter, scope, attributes: ['1.1'], sizeLimit: 1 });
    if (searchEntries.length === 0) throw new ProbeFailure('unexpected_answer', `search of ${base} for ${filter} found no entry`, { base, filter });
    return { entry: searchEntries[0]!.dn };
  } finally {
    release();
    await client.unbind().catch(() => undefined);
  }
};
