/**
 * The hard constraints of issue 16 as properties, against the real HTTP API:
 * fast-check generates rules (good, hostile and broken) and sends them as
 * create, update, import and enable requests. Whatever is accepted never makes
 * a human-only or disruptive action automatic, never loosens an approval
 * binding (only an allowlist entry inside a pre-approved contain family may
 * make a contain action automatic on its targets), and carries no secret and
 * no command. Whatever is refused is a 4xx and changes nothing stored.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, getAction } from '../../policies/actions.js';
import { parseTarget } from '../../policies/allowlist.js';
import { evaluatePolicy } from '../../policies/evaluate.js';
import { INCIDENT_CLASSES, INCIDENT_TYPES } from '../../policies/taxonomy.js';
import { ENVIRONMENTS, type OperatorRule, type Target } from '../../policies/types.js';
import { expectNoServerError, FUZZ_TOKENS, fuzzRuns, startFuzzServer, type FuzzRequest, type FuzzServer } from '../fuzz/harness.js';

let server: FuzzServer;
const ADMIN = { authorization: `Bearer ${FUZZ_TOKENS.admin.token}` };

beforeAll(async () => {
  server = await startFuzzServer();
});
afterAll(async () => {
  await server.close();
});

const SECRETS = ['xoxb-123456789012-abcdefghijkl', '-----BEGIN PRIVATE KEY-----', 'AKIAABCDEFGHIJKLMNOP', '123456789:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789', `ghp_${'a'.repeat(36)}`];
const COMMAND_KEYS = ['command', 'cmd', 'shell', 'script', 'exec', 'run', 'args', 'entrypoint'];
const SECRET_KEYS = ['password', 'token', 'apiKey', 'secret', 'private_key', 'credentials'];
const TARGETS: Target[] = ['pod/batch/worker-1', 'cronjob/batch/nightly', 'cronjob/tekton-pipelines/cleanup', 'deployment/image-factory/api', 'deployment/ingress-nginx/ingress-nginx-controller', 'namespace/tenant-a', 'node/worker-1', 'persistentvolumeclaim/db/data'].map(parseTarget);

const glob = fc.constantFrom('*', 'batch', 'nightly', 'cronjob', 'tekton-*', 'image-factory', 'ingress-nginx', 'pod', 'cronjob', 'deployment', 'namespace', 'node', '*ingress*', 'tenant-a', 'persistentvolumeclaim');
const action = fc.constantFrom(...ACTION_IDS);
/** Mostly plain, sometimes hostile: a property that refuses everything proves nothing. */
function mostly<T>(plain: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: plain, weight: 6 }, { arbitrary: hostile, weight: 1 });
}
const value = mostly(fc.stringMatching(/^[a-z0-9 -]{1,12}$/), fc.constantFrom(...SECRETS));
const key = mostly(fc.constantFrom('app', 'namespace', 'team'), fc.oneof(fc.constantFrom(...COMMAND_KEYS, ...SECRET_KEYS), fc.string({ minLength: 1, maxLength: 8 })));

const CONTAIN = ACTION_IDS.filter((id) => getAction(id).class === 'contain');

/** Actions from the type's own families mostly (else almost every rule is refused), any action sometimes. */
function profileFor(type: string): fc.Arbitrary<Record<string, unknown>> {
  const cls = INCIDENT_CLASSES.find((c) => c.type === type);
  const own = cls ? cls.actions.map((b) => b.action) : ACTION_IDS;
  const ownAuto = cls?.actions.filter((b) => b.mode === 'auto').map((b) => b.action) ?? [];
  return fc.record(
    {
      auto: fc.array(mostly(ownAuto.length > 0 ? fc.constantFrom(...ownAuto) : action, action), { maxLength: 2 }),
      requireApproval: fc.array(fc.constantFrom(...own), { maxLength: 3 }),
      deny: fc.array(fc.constantFrom(...own), { maxLength: 2 }),
      allowlist: fc.array(
        fc.record(
          { kind: glob, namespace: glob, name: glob, actions: fc.array(mostly(fc.constantFrom(...CONTAIN), action), { minLength: 1, maxLength: 3 }), environments: fc.subarray([...ENVIRONMENTS], { minLength: 1 }) },
          { requiredKeys: ['actions'] },
        ),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: [] },
  );
}

const ruleArb = mostly(fc.constantFrom(...INCIDENT_TYPES), fc.constant('no_such_type')).chain((incidentType) =>
  fc
    .record(
      {
        id: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
        name: value,
        enabled: mostly<unknown>(fc.boolean(), fc.constantFrom('yes', 1)),
        incidentType: fc.constant(incidentType),
        environmentScope: mostly<string[]>(fc.subarray([...ENVIRONMENTS], { minLength: 1 }), fc.constant([])),
        signalSelector: fc.dictionary(key, value, { maxKeys: 2 }),
        severity: mostly(fc.constantFrom('info', 'warning', 'critical'), fc.constant('fatal')),
        allowedActionProfile: profileFor(incidentType),
        cooldownSeconds: fc.record({ sameActionRetrySeconds: mostly(fc.integer({ min: 0, max: 7200 }), fc.integer({ min: -5, max: -1 })), disruptiveRetrySeconds: fc.integer({ min: 0, max: 7200 }) }, { requiredKeys: [] }),
        incidentTypeEnabled: mostly(fc.constant(true), fc.constant(false)),
        owner: fc.constantFrom('ops', 'platform'),
        extra: mostly(fc.constant({}), fc.dictionary(key, fc.oneof(value, fc.array(value, { maxLength: 2 })), { minKeys: 1, maxKeys: 1 })),
      },
      { requiredKeys: ['id', 'name', 'enabled', 'incidentType', 'environmentScope', 'owner'] },
    )
    .map(({ extra, ...rule }) => ({ ...rule, ...extra })),
);

/** A request that stores rules: create, update of a live rule, import of a file, or enable in an environment. */
const requestArb: fc.Arbitrary<(live: OperatorRule[]) => FuzzRequest> = fc.oneof(
  ruleArb.map((rule) => (): FuzzRequest => ({ method: 'POST' as const, path: '/api/rules', body: { reason: 'property', rule } })),
  fc.tuple(ruleArb, fc.nat(), fc.integer({ min: 0, max: 2 })).map(([rule, pick, drift]) => (live: OperatorRule[]): FuzzRequest => {
    const target = live[pick % Math.max(1, live.length)];
    return target
      ? { method: 'PUT', path: `/api/rules/${target.id}`, body: { reason: 'property', rule: { ...rule, id: target.id, version: target.version - drift } } }
      : { method: 'POST', path: '/api/rules', body: { reason: 'property', rule } };
  }),
  fc.array(ruleArb, { minLength: 1, maxLength: 3 }).map((rules) => (): FuzzRequest => ({ method: 'POST' as const, path: '/api/rules/import', body: { reason: 'property', yaml: JSON.stringify({ rules }) } })),
  fc.tuple(fc.nat(), fc.constantFrom(...ENVIRONMENTS), fc.boolean()).map(([pick, env, enabled]) => (live: OperatorRule[]): FuzzRequest => {
    const target = live[pick % Math.max(1, live.length)];
    return { method: 'PUT', path: `/api/rules/${target?.id ?? 'none'}/environments/${env}`, body: { reason: 'property', version: target?.version ?? 1, enabled } };
  }),
);

/** The hard constraints over every class, bound action, environment and target, with the rules now in effect. */
/** Returns how many decisions a rule's allowlist made automatic (the one loosening allowed). */
function checkConstraints(rules: readonly OperatorRule[]): number {
  const now = Date.now();
  let loosened = 0;
  for (const cls of INCIDENT_CLASSES) {
    for (const binding of cls.actions) {
      const act = getAction(binding.action);
      for (const environment of ENVIRONMENTS) {
        for (const target of [undefined, ...TARGETS]) {
          const query = { incidentType: cls.type, action: binding.action, environment, confidence: 'high' as const, now, ...(target ? { target } : {}) };
          const withRules = evaluatePolicy({ ...query, rules: [...rules] });
          if (withRules.decision !== 'auto') continue;
          const what = `${cls.type}/${binding.action}/${environment}/${target ? JSON.stringify(target) : '-'}: ${withRules.reasons.join(' | ')}`;
          expect(act.class, what).not.toBe('disruptive');
          expect(act.class, what).not.toBe('human_only');
          expect(binding.mode, what).toBe('auto');
          if (evaluatePolicy(query).decision !== 'auto') {
            // The one loosening operators may make: allowlisting targets inside a pre-approved contain family.
            expect(act.class === 'contain' && binding.allowlistOnly === true && withRules.reasons.some((r) => r.includes('(rule ')), what).toBe(true);
            loosened++;
          }
        }
      }
    }
  }
  return loosened;
}

function checkClean(rules: readonly OperatorRule[]): void {
  const text = JSON.stringify(rules);
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  const keys = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, inner] of Object.entries(v)) {
        keys.add(k);
        walk(inner);
      }
    }
  };
  walk(rules);
  for (const k of [...COMMAND_KEYS, ...SECRET_KEYS]) expect(keys.has(k), `stored rule has key ${k}`).toBe(false);
}

const ALLOWLISTING = {
  id: 'batch-cronjobs',
  name: 'nightly batch cronjobs may be suspended',
  enabled: true,
  incidentType: 'background_job_buildup',
  environmentScope: ['demo', 'staging'],
  allowedActionProfile: { allowlist: [{ kind: 'cronjob', namespace: 'batch', actions: ['suspend_cronjob'] }] },
  owner: 'ops',
};

describe('rules through the API: hard constraints', () => {
  it('accepted rules never make a human-only or disruptive action automatic, loosen an approval binding, or carry a secret or command; refused requests change nothing', async () => {
    let accepted = 0;
    let refused = 0;
    let loosened = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(requestArb, { minLength: 1, maxLength: 4 }), async (requests) => {
        for (const make of requests) {
          const live = [...server.runtime.rules.current()];
          const req = make(live);
          await server.settle();
          const before = server.snapshot();
          const res = await server.request({ ...req, headers: ADMIN });
          expectNoServerError(res, `${req.method} ${req.path} ${JSON.stringify(req.body).slice(0, 300)}`);
          if (res.status >= 400) {
            refused++;
            expect((res.json as { error: { code: string; message: string } }).error.message.length).toBeGreaterThan(0);
            await server.settle();
            expect(server.snapshot()).toEqual(before);
            continue;
          }
          accepted++;
          const rules = server.runtime.rules.current();
          checkClean(rules);
          loosened += checkConstraints(rules);
        }
      }),
      // One request that is sure to allowlist a cronjob, so the loosening branch is exercised on every run.
      { numRuns: fuzzRuns(40), examples: [[[() => ({ method: 'POST', path: '/api/rules', body: { reason: 'example', rule: ALLOWLISTING } })]]] },
    );
    // Both sides of the property were exercised, or it proved nothing.
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    expect(loosened).toBeGreaterThan(0);
  }, 600_000);
});
