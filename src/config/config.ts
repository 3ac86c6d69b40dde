/**
 * Configuration is parsed once, here, and handed on as a typed value. The
 * embedded default runs the demo environment on a local SQLite file with the
 * recording executor and the console on port 8080, so `robosre start` works
 * on a fresh machine.
 */
import { Resolver } from 'node:dns';
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { join, parse as parsePath } from 'node:path';
import { FilterParser } from 'ldapts';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ENVIRONMENTS } from '../../policies/types.js';
import type { OperatorRule } from '../../policies/types.js';
import { CHAT_NAME, parseOperatorRule } from '../../policies/rules.js';
import { DEFAULT_CHAT } from '../../conversations/routing.js';
import { routeProblems, type RuleDestinations } from '../rules/destinations.js';
import { problemLines, RobosreError } from '../errors.js';
import { collectSecrets, secretSchema } from './secrets.js';
import { duration, noCredentialsInUrl, noQueryInUrl } from './duration.js';
import { aiSchema } from './ai.js';
import { DEFAULT_STORMS, type UnhealthyLimit } from '../engine/storm-grouping.js';
import { DEFAULT_EVENT_STREAM_OPTIONS as STREAM_DEFAULTS } from '../server/console/events.js';
import { alertMappingsSchema } from '../../adapters/alertmanager/mapping.js';
import type { ReceiverAuth } from '../../adapters/alertmanager/auth.js';
import { ROLES } from '../../conversations/people.js';
import { CHAT_CHANNELS } from '../../conversations/channel.js';
import { SEVERITIES } from '../../policies/types.js';
import { DEFAULT_INCIDENT_TYPE, PROBE_INCIDENT_TYPES } from '../detectors/probes/result.js';
import type { ProbeSpec } from '../../adapters/probes/spec.js';
import { WATCH_TIMEOUT_SECONDS } from '../detectors/kubernetes/kube-state.js';
import type { PrometheusAuth } from '../../adapters/prometheus/client.js';
import { GOLDEN_SIGNAL_INCIDENT_TYPES, GOLDEN_SIGNALS, type GoldenSignalRule } from '../detectors/golden-signals/golden-signal-detector.js';

export { ROLES, type Role } from '../../conversations/people.js';

/**
 * A hook's Job template, read and checked at parse time: a broken recipe is a
 * config error now, not a failed reboot at 3 a.m.
 */
const jobManifest = z
  .object({
    apiVersion: z.literal('batch/v1'),
    kind: z.literal('Job'),
    spec: z.object({ template: z.object({ spec: z.object({ containers: z.array(z.object({ name: z.string().min(1), image: z.string().min(1) }).passthrough()).min(1) }).passthrough() }).passthrough() }).passthrough(),
  })
  .passthrough();

const jobTemplateFile = z.string().min(1).transform((path, ctx): Record<string, unknown> => {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
    return z.NEVER;
  }
  const checked = jobManifest.safeParse(doc);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    ctx.addIssue({ code: 'custom', message: `${path} is not a batch/v1 Job with at least one container: ${issue.path.join('.') || '(document)'}: ${issue.message}` });
    return z.NEVER;
  }
  return checked.data;
});

const hookSchema = z
  .object({
    namespace: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a namespace name'),
    jobTemplate: jobTemplateFile,
    /** How long robosre waits for the Job to finish; keep it under engine.executeTimeout. */
    timeout: duration.default(45_000),
  })
  .strict();

/**
 * Named chats of a channel beside its default one, which operator rules route to by name
 * (notificationPolicy chats); the platform ids stay here.
 */
function namedChats<T extends z.ZodType>(id: T) {
  // Names are checked here rather than by a key schema, whose refusal zod reports only as "Invalid key in record".
  return z
    .record(z.string(), id)
    .superRefine((chats, ctx) => {
      for (const name of Object.keys(chats)) {
        if (name === DEFAULT_CHAT) ctx.addIssue({ code: 'custom', path: [name], message: `"${DEFAULT_CHAT}" is the channel's own chat; give this one another name` });
        else if (!CHAT_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'a chat name: a lowercase letter, then up to 31 lowercase letters, digits, "-" or "_"' });
      }
    })
    .default({});
}

/** A host name as the Host and Origin checks compare it: no scheme, port or path. */
const mcpHostname = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/, 'a host name without scheme or port, e.g. robosre.example.com or [::1]');
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'a phone number in E.164 form, e.g. +15551234567');
const telegramChat = z.union([z.number().int(), z.string().regex(/^(-?\d+|@\w{5,})$/, 'a numeric chat id or @channelusername')]);
const slackChannelId = z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel id such as C0123456');
const whatsappRecipients = z.array(z.object({ number: e164, minSeverity: z.enum(SEVERITIES).default('warning') }).strict()).min(1);
const contentSid = z.string().regex(/^HX[0-9a-f]{32}$/, 'a Twilio Content SID (HX + 32 hex digits)');

/** A PEM file read at parse time, so a missing CA bundle is a config error, not a probe failure every minute. */
const pemFile = z.string().min(1).transform((path, ctx) => {
  try {
    const pem = readFileSync(path, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      ctx.addIssue({ code: 'custom', message: `${path} holds no PEM certificate` });
      return z.NEVER;
    }
    return pem;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` });
    return z.NEVER;
  }
});

const probeCommon = {
  name: z.string().max(63).regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'a probe name: lowercase letters, digits and "-" (it becomes the subject <cluster>.service.<name>)'),
  /** Seed 004's observation polling. */
  interval: duration.default(60_000),
  timeout: duration.default(5_000),
  /** A core dependency or route: its failure is critical. */
  critical: z.boolean().default(false),
  /** Successes in a row that clear the incident. */
  recoverAfter: z.number().int().min(1).max(100).default(2),
  /** What the robot would act on; without it only notify and evidence are planned. */
  target: z.string().regex(/^[a-z]+\/([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a kind/namespace/name or kind/name such as deployment/infra/redis').optional(),
};
const overridable = { incidentType: z.enum(PROBE_INCIDENT_TYPES).optional() };
const host = z.string().min(1).max(253);
const port = z.number().int().min(1).max(65535);

const dnsServer = z.string().refine((server) => {
  try {
    new Resolver().setServers([server]);
    return true;
  } catch {
    return false;
  }
}, 'a DNS server as an IP address, ip:port or [ipv6]:port');
const ldapFilter = z.string().refine((filter) => {
  try {
    FilterParser.parseString(filter);
    return true;
  } catch {
    return false;
  }
}, 'an LDAP search filter (RFC 4515), e.g. (objectClass=*) or (uid=robosre)');


const probeSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('tcp'), ...probeCommon, ...overridable, host, port }).strict(),
    z
      .object({
        kind: z.literal('http'),
        ...probeCommon,
        ...overridable,
        url: z
          .url({ protocol: /^https?$/ })
          .refine(noCredentialsInUrl, 'credentials in the URL would end up in evidence; the URL may not carry them')
          .refine(noQueryInUrl, 'a query string in the URL (often an API key, e.g. ?apikey=) would be logged, stored and shown by the API; the URL may not carry one: probe an endpoint that needs no key in its URL'),
        expectStatus: z.array(z.number().int().min(100).max(599)).default([]),
        expectBody: z.string().min(1).max(1000).optional(),
        caFile: pemFile.optional(),
        insecure: z.boolean().default(false),
      })
      .strict(),
    z.object({ kind: z.literal('tls'), ...probeCommon, ...overridable, host, port: port.default(443), servername: host.optional(), caFile: pemFile.optional(), minDaysLeft: z.number().min(0).max(3650).default(14) }).strict(),
    z.object({ kind: z.literal('redis'), ...probeCommon, ...overridable, host, port: port.default(6379), username: z.string().min(1).optional(), password: secretSchema.optional(), db: z.number().int().min(0).default(0) }).strict(),
    // A database probe is always database_connectivity_degraded: the seed makes it critical, an override would hide that.
    z.object({ kind: z.literal('postgres'), ...probeCommon, host, port: port.default(5432), user: z.string().min(1).default('postgres'), password: secretSchema.optional(), database: z.string().min(1).default('postgres') }).strict(),
    z.object({ kind: z.literal('mysql'), ...probeCommon, host, port: port.default(3306), user: z.string().min(1), password: secretSchema.optional(), database: z.string().min(1).optional() }).strict(),
    z.object({ kind: z.literal('nats'), ...probeCommon, ...overridable, host, port: port.default(4222), user: z.string().min(1).optional(), password: secretSchema.optional(), token: secretSchema.optional() }).strict(),
    z
      .object({
        kind: z.literal('ldap'),
        ...probeCommon,
        ...overridable,
        host,
        port: port.default(389),
        bindDn: z.string().min(1).optional(),
        password: secretSchema.optional(),
        search: z.object({ base: z.string().min(1), filter: ldapFilter.default('(objectClass=*)'), scope: z.enum(['base', 'one', 'sub']).default('sub') }).strict().optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal('dns'),
        ...probeCommon,
        ...overridable,
        names: z.array(host).min(1).max(50),
        recordType: z.enum(['A', 'AAAA']).default('A'),
        server: dnsServer.optional(),
        expect: z.array(z.union([z.ipv4(), z.ipv6()])).min(1).optional(),
      })
      .strict(),
  ])
  .superRefine((p, ctx) => {
    if (p.timeout > p.interval) ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'timeout may not exceed interval' });
    if (p.kind === 'nats' && p.password && !p.user) ctx.addIssue({ code: 'custom', path: ['password'], message: 'a NATS password needs a user' });
    if (p.kind === 'nats' && p.token && p.user) ctx.addIssue({ code: 'custom', path: ['token'], message: 'a NATS token or a user and password, not both' });
    // A bind DN without a password is an unauthenticated bind, which servers refuse (LDAP 53): a config error, not an incident every minute.
    if (p.kind === 'ldap' && Boolean(p.bindDn) !== Boolean(p.password)) ctx.addIssue({ code: 'custom', path: [p.bindDn ? 'password' : 'bindDn'], message: 'bindDn and password go together (neither binds anonymously)' });
    if (p.kind === 'dns' && p.expect) {
      const fits = p.recordType === 'A' ? isIPv4 : isIPv6;
      p.expect.forEach((address, i) => {
        if (!fits(address)) ctx.addIssue({ code: 'custom', path: ['expect', i], message: `${address} is not an ${p.recordType} record's address` });
      });
    }
  })
  .transform(({ interval, timeout, caFile, ...rest }: { interval: number; timeout: number; caFile?: string; [key: string]: unknown }): ProbeSpec => {
    const spec = { ...rest, intervalMs: interval, timeoutMs: timeout, ...(caFile ? { ca: caFile } : {}) } as Omit<ProbeSpec, 'incidentType'> & { incidentType?: ProbeSpec['incidentType'] };
    return { ...spec, incidentType: spec.incidentType ?? DEFAULT_INCIDENT_TYPE[spec.kind] } as ProbeSpec;
  });

const targetRef = z.string().regex(/^[a-z]+\/([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a kind/namespace/name or kind/name such as deployment/infra/redis');

const goldenRuleSchema = z
  .object({
    name: z.string().max(63).regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'a rule name: lowercase letters, digits and "-"'),
    signal: z.enum(GOLDEN_SIGNALS).default('errors'),
    /** The seed has one golden-signal class; latency and saturation rules raise it too, told apart by `signal`. */
    incidentType: z.enum(GOLDEN_SIGNAL_INCIDENT_TYPES).default('http_error_rate_spike'),
    query: z.string().trim().min(1).max(10_000),
    subjectLabel: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Prometheus label name').default('service'),
    warnAbove: z.number(),
    criticalAbove: z.number().optional(),
    for: duration,
    interval: duration.default(60_000),
    recoverAfter: z.number().int().min(1).max(100).default(2),
    critical: z.boolean().default(false),
    target: targetRef.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.criticalAbove !== undefined && r.criticalAbove <= r.warnAbove) ctx.addIssue({ code: 'custom', path: ['criticalAbove'], message: `must be above warnAbove (${r.warnAbove})` });
  });

/** An IPv4/IPv6 address, or one with a prefix length (a CIDR range). */
function isAddressOrRange(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/');
  if (rest.length) return false;
  const bits = isIPv4(address) ? 32 : isIPv6(address) ? 128 : 0;
  return bits > 0 && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits));
}

const httpHeaderName = z
  .string()
  .regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name')
  .transform((h) => h.toLowerCase());

const goldenSignalsSchema = z
  .object({
    prometheus: z
      .object({
        url: z
          .url({ protocol: /^https?$/ })
          .refine(noCredentialsInUrl, 'credentials in the URL would end up in evidence; use auth instead')
          .refine(noQueryInUrl, 'a query string in the URL would be logged and stored with the evidence; use auth (a bearer token or basic auth from a secret reference) instead'),
        timeout: duration.default(10_000),
        auth: z
          .discriminatedUnion('type', [
            z.object({ type: z.literal('bearer'), token: secretSchema }).strict(),
            z.object({ type: z.literal('basic'), username: z.string().min(1), password: secretSchema }).strict(),
          ])
          .transform(({ type, ...rest }): PrometheusAuth => ({ kind: type, ...rest }) as PrometheusAuth)
          .optional(),
      })
      .strict(),
    rules: z.array(goldenRuleSchema).min(1, 'list at least one rule'),
    /** A PNG chart of the incident's series in its thread (docs/graphs.md). */
    graphs: z
      .object({
        enabled: z.boolean().default(true),
        /** Longest one PNG render may take; past it the thread gets the text sparkline. */
        renderTimeout: duration.default(10_000),
      })
      .strict()
      .default({ enabled: true, renderTimeout: 10_000 }),
  })
  .strict()
  .superRefine((g, ctx) => {
    const seen = new Set<string>();
    g.rules.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `rule "${r.name}" is defined twice` });
      seen.add(r.name);
      // An evaluation must end before the next one is due.
      if (g.prometheus.timeout > r.interval) ctx.addIssue({ code: 'custom', path: ['rules', i, 'interval'], message: `must be at least prometheus.timeout (${g.prometheus.timeout} ms)` });
    });
  })
  .transform(({ prometheus, rules, graphs }) => ({
    prometheus: { url: prometheus.url, timeoutMs: prometheus.timeout, ...(prometheus.auth ? { auth: prometheus.auth } : {}) },
    graphs: { enabled: graphs.enabled, renderTimeoutMs: graphs.renderTimeout },
    rules: rules.map(({ for: forMs, interval, ...rule }): GoldenSignalRule => ({ ...rule, forMs, intervalMs: interval, prometheus: prometheus.url })),
  }));

const configSchema = z
  .object({
    environment: z.enum(ENVIRONMENTS).default('demo'),
    cluster: z
      .object({
        name: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'cluster.name must be a DNS label').default('demo'),
      })
      .strict()
      .default({ name: 'demo' }),
    database: z.object({ path: z.string().min(1).default('data/robosre.db') }).strict().default({ path: 'data/robosre.db' }),
    executor: z
      .object({
        /** `recording` touches no cluster (the demo, rehearsals); `kubernetes` acts on the cluster of the `kubernetes` section. */
        kind: z.enum(['recording', 'kubernetes']).default('recording'),
        /** The recording executor's journal; by default beside the database (journalBeside). */
        journal: z.string().min(1).optional(),
        failing: z.array(z.string()).default([]),
        /** Finished pods one delete_completed_pods run removes at most. */
        maxPodsPerRun: z.number().int().min(1).max(5_000).default(200),
        /** How long drain_node retries evictions a disruption budget blocks before it reports a partial drain. */
        drainTimeout: duration.default(45_000),
        /** How long rollout_restart waits for the new pods to be available before it reports the rollout stuck. */
        rolloutTimeout: duration.default(45_000),
        /** Job templates for the actions robosre does not carry out itself (docs/remediation.md, "Hooks"). */
        hooks: z.object({ reboot_node: hookSchema.optional(), replace_node: hookSchema.optional(), helm_reconcile: hookSchema.optional() }).strict().default({}),
      })
      .strict()
      .default({ kind: 'recording', failing: [], maxPodsPerRun: 200, drainTimeout: 45_000, rolloutTimeout: 45_000, hooks: {} }),
    engine: z
      .object({
        approvalTtl: duration.default(10 * 60_000),
        /** A new incident waits this long before its first analysis, so signals arriving together are judged together. */
        analysisDelay: z.union([z.literal(0), duration]).default(10_000),
        stageTimeout: duration.default(10 * 60_000),
        executeTimeout: duration.default(60_000),
        paused: z.boolean().default(false),
        /** Remediation budgets: past them an automatic action asks for approval instead. */
        budgets: z
          .object({
            maxConcurrentActions: z.number().int().min(1).max(1000).default(3),
            maxActionsPerNamespacePerHour: z.number().int().min(1).max(10_000).default(20),
            /** A drain leaves at least this many ready replicas of each controller on other nodes; 0 leaves it to PodDisruptionBudgets. */
            minHealthyReplicas: z.number().int().min(0).max(1000).default(1),
          })
          .strict()
          .default({ maxConcurrentActions: 3, maxActionsPerNamespacePerHour: 20, minHealthyReplicas: 1 }),
      })
      .strict()
      .default({ approvalTtl: 600_000, analysisDelay: 10_000, stageTimeout: 600_000, executeTimeout: 60_000, paused: false, budgets: { maxConcurrentActions: 3, maxActionsPerNamespacePerHour: 20, minHealthyReplicas: 1 } }),
    server: z
      .object({
        /** Loopback unless said otherwise, so a first run (the demo's well-known token) is not on the network; the Helm chart sets 0.0.0.0. */
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** How long SIGTERM waits for in-flight work before the process exits anyway. */
        shutdownGrace: duration.default(10_000),
        /** Where people reach the console; used in links sent to chat. */
        publicUrl: z.url().optional(),
        /** Largest request body accepted; larger ones get 413. */
        bodyLimitBytes: z.number().int().positive().max(16 * 2 ** 20).default(2 ** 20),
        /** Reads (incidents, timelines, approvals, the console) without a sign-in, for a trusted network only: a warning at start says so. */
        publicReads: z.boolean().default(false),
        /** The console's live-update streams (`GET /api/events`); past either cap a new one gets 429. */
        eventStreams: z
          .object({
            max: z.number().int().min(1).max(100_000).default(STREAM_DEFAULTS.maxStreams),
            maxPerClient: z.number().int().min(1).max(10_000).default(STREAM_DEFAULTS.maxStreamsPerClient),
          })
          .strict()
          .default({ max: STREAM_DEFAULTS.maxStreams, maxPerClient: STREAM_DEFAULTS.maxStreamsPerClient }),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080, shutdownGrace: 10_000, bodyLimitBytes: 2 ** 20, publicReads: false, eventStreams: { max: STREAM_DEFAULTS.maxStreams, maxPerClient: STREAM_DEFAULTS.maxStreamsPerClient } }),
    auth: z
      .object({
        tokens: z
          .array(z.object({ name: z.string().min(1).max(64), token: secretSchema, role: z.enum(ROLES) }).strict())
          .default([]),
        /** How long a console sign-in lasts (docs/security.md); sign-out ends it sooner. */
        sessionTtl: duration.default(12 * 3_600_000),
        /** A trusted authenticating proxy in front (oauth2-proxy, Grafana-style): the person it names, from these addresses only. */
        proxy: z
          .object({
            /** Peer addresses or CIDR ranges the proxy connects from; the header from any other peer is ignored. */
            addresses: z.array(z.string().refine(isAddressOrRange, 'an IP address or a CIDR range such as 10.0.0.0/8')).min(1),
            /** Headers naming the signed-in user, matched to `people` by name, then by email. */
            userHeader: httpHeaderName.default('x-forwarded-user'),
            emailHeader: httpHeaderName.default('x-auth-request-email'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ tokens: [], sessionTtl: 12 * 3_600_000 }),
    /** The MCP endpoint `/mcp` (docs/mcp.md): the names it may be reached by, beyond localhost, the bind address and `server.publicUrl`. */
    mcp: z
      .object({
        /** Host names (no port, IPv6 in brackets) a request's Host may name, e.g. the Service's `robosre.robosre.svc`; any other gets 403. */
        allowedHosts: z.array(mcpHostname).default([]),
        /** Host names a browser client's Origin may name; a request without Origin passes. */
        allowedOrigins: z.array(mcpHostname).default([]),
      })
      .strict()
      .default({ allowedHosts: [], allowedOrigins: [] }),
    alertmanager: z
      .object({
        /** What Alertmanager's `http_config` sends: nothing, a bearer token, or basic auth. */
        auth: z
          .discriminatedUnion('type', [
            z.object({ type: z.literal('none') }).strict(),
            z.object({ type: z.literal('bearer'), token: secretSchema }).strict(),
            z.object({ type: z.literal('basic'), username: z.string().min(1), password: secretSchema }).strict(),
          ])
          .default({ type: 'none' })
          .transform(({ type, ...rest }): ReceiverAuth => ({ kind: type, ...rest }) as ReceiverAuth),
        /** Operator mappings from alert labels to incident classes, tried before the built-in ones. */
        mappings: alertMappingsSchema.default([]),
        /** A notification with more alerts is refused (413); set Alertmanager's `max_alerts` at or below it. */
        maxAlertsPerRequest: z.number().int().min(1).max(100_000).default(1000),
        /** New or reopened incidents per second, sustained; past it a notification is cut short with 429 and Retry-After. */
        newIncidentsPerSecond: z.number().positive().max(10_000).default(50),
        /** New incidents at once before the per-second rate applies. */
        newIncidentsBurst: z.number().int().min(1).max(100_000).default(500),
      })
      .strict()
      .default({ auth: { kind: 'none' }, mappings: [], maxAlertsPerRequest: 1000, newIncidentsPerSecond: 50, newIncidentsBurst: 500 }),
    /** People and the ids each platform knows them by, so one person is one approver on every channel. */
    people: z
      .array(
        z
          .object({
            name: z.string().min(1).max(64),
            role: z.enum(ROLES),
            /** What an authenticating proxy's email header names them by (auth.proxy). */
            email: z.email().optional(),
            telegram: z.union([z.string(), z.number().int()]).transform(String).optional(),
            slack: z.string().min(1).optional(),
            whatsapp: z.string().regex(/^\+[1-9]\d{6,14}$/, 'a WhatsApp number in E.164 form, e.g. +15551234567').optional(),
          })
          .strict(),
      )
      .default([]),
    approvals: z
      .object({
        forbidSelfApproval: z.boolean().default(true),
        twoApproversForDisruptiveInProduction: z.boolean().default(true),
      })
      .strict()
      .default({ forbidSelfApproval: true, twoApproversForDisruptiveInProduction: true }),
    channels: z
      .object({
        telegram: z
          .object({
            botToken: secretSchema,
            chatId: telegramChat,
            /** Chats operator rules may name, beside chatId (the `default` chat). */
            chats: namedChats(telegramChat),
            apiRoot: z.url().refine((u) => !u.endsWith('/'), 'apiRoot must not end with "/"').default('https://api.telegram.org'),
            mode: z.enum(['polling', 'webhook']).default('polling'),
            /** Checked against X-Telegram-Bot-Api-Secret-Token in webhook mode. */
            webhookSecret: secretSchema.optional(),
            approvers: z.array(z.union([z.string().regex(/^\d+$/), z.number().int().positive()]).transform(String)).default([]),
            /** One forum topic per incident when the chat is a forum. */
            topics: z.boolean().default(true),
            /** Least spacing between messages to the chat; Telegram allows about 1/s per chat and 20/min per group. */
            minInterval: duration.optional(),
          })
          .strict()
          .optional(),
        slack: z
          .object({
            botToken: secretSchema,
            signingSecret: secretSchema,
            /** The workspace (team id, T…) the app is installed in: requests from any other are refused. */
            teamId: z.string().regex(/^T[A-Z0-9]{2,}$/, 'a Slack team id such as T0123456'),
            /** Channel id (C… or G…), where incident threads are posted and the only one commands are taken from. */
            channel: slackChannelId,
            /** Channels operator rules may name, beside `channel` (the `default` chat). */
            chats: namedChats(slackChannelId),
            apiUrl: z.url().refine((u) => u.endsWith('/'), 'apiUrl must end with "/"').default('https://slack.com/api/'),
            approvers: z.array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id such as U0123456')).default([]),
            /** Socket Mode instead of the /slack/events endpoint, for clusters without public ingress. */
            socketMode: z.boolean().default(false),
            appToken: secretSchema.optional(),
            /** Least spacing between messages; Slack allows about one message a second per channel. */
            minInterval: duration.optional(),
          })
          .strict()
          .optional(),
        whatsapp: z
          .object({
            accountSid: z.string().regex(/^AC[0-9a-f]{32}$/, 'a Twilio account SID (AC + 32 hex digits)'),
            authToken: secretSchema,
            /** The WhatsApp sender registered with Twilio. */
            from: e164,
            /** Who is messaged, from which severity up. */
            recipients: whatsappRecipients,
            /** Recipient lists operator rules may name, beside `recipients` (the `default` chat). */
            chats: namedChats(whatsappRecipients),
            /** Numbers that may approve, deny, ack, silence, pause and resume. */
            approvers: z.array(e164).default([]),
            /** Approved templates (ContentSid HX…) used outside the 24-hour window; two variables each. */
            templates: z.object({ notification: contentSid, approval: contentSid }).strict(),
            /** Twilio API origin, e.g. a proxy; reached through a custom HTTP client. */
            apiBaseUrl: z.url().optional(),
            minInterval: duration.optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    /** The cluster to watch; without this key no Kubernetes detector runs. */
    kubernetes: z
      .object({
        /** A kubeconfig file; without one, robosre uses its in-cluster service account. */
        kubeconfig: z.string().min(1).optional(),
        context: z.string().min(1).optional(),
        /** Namespaces whose objects are watched; empty watches every namespace. */
        namespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace name')).default([]),
        /** A label selector narrowing the namespaced workload kinds watched (pods, workloads, jobs, claims). */
        labelSelector: z.string().min(1).max(1000).regex(/^[A-Za-z0-9_./!=,() -]+$/, 'a label selector such as "team=shop,tier!=batch"').optional(),
        /** Watch Normal events as well as Warning ones (more volume, rarely more signal). */
        includeNormalEvents: z.boolean().default(false),
        /** Watch Helm release Secrets (label owner=helm) for release drift; needs list/watch on secrets. */
        helmReleases: z.boolean().default(false),
        /** Workloads whose failures are customer-facing or block the core, as `kind/namespace/name` globs. */
        coreWorkloads: z.array(z.string().regex(/^[a-z*]+\/[^/\s]+\/[^/\s]+$/, 'a kind/namespace/name glob such as deployment/shop/*')).default([]),
        /** A pod Pending longer than this is pod_pending_too_long. */
        pendingAfter: duration.default(5 * 60_000),
        /** A node heartbeat older than this counts as unreachable. */
        heartbeatStale: duration.default(2 * 60_000),
        /** How long a node must be not ready before it is an incident (joining and rebooting nodes are briefly not ready). */
        notReadyAfter: duration.default(60_000),
        /** How long a Deployment may be short of available replicas before it is an incident. */
        replicasMismatchAfter: duration.default(5 * 60_000),
        /** Disk pressure lasting longer than this is critical. */
        diskPressureCriticalAfter: duration.default(10 * 60_000),
        /** Disk pressure resolves only after this long without a new eviction or kubelet disk event. */
        evictionQuiet: duration.default(10 * 60_000),
        /** Disk evictions on one node within evictionQuiet that count as disk pressure on their own. */
        evictionBurst: z.number().int().min(1).default(3),
        /** Succeeded and Failed pods in one namespace above this are background_job_buildup. */
        finishedPodsThreshold: z.number().int().min(1).default(50),
        /** Failed Jobs of one CronJob that make it noisy. */
        noisyCronJobFailures: z.number().int().min(1).default(3),
        /** A Helm release pending longer than this is stuck. */
        releasePendingAfter: duration.default(10 * 60_000),
        /** A watch failing this long is kube_state_stuck. */
        watchFailingAfter: duration.default(60_000),
        /** Nothing heard on any watch (no event, no bookmark) this long is kube_state_stuck: the connection is hung. */
        watchSilentAfter: duration
          // Every watch is re-made (and so heard) within the longest server-side timeout; a shorter bound would call quiet, healthy watches stale and deny every write.
          .refine((v) => v > WATCH_TIMEOUT_SECONDS.max * 1000, `must be longer than ${WATCH_TIMEOUT_SECONDS.max}s, the longest a healthy watch goes unheard before the API server ends it and it is re-made`)
          .default(10 * 60_000),
      })
      .strict()
      .optional(),
    /** Active checks of dependencies, databases, routes and certificates (docs/probes.md). */
    probes: z.array(probeSchema).default([]),
    /** PromQL rules for error rate, latency and saturation, evaluated against one Prometheus (docs/golden-signals.md). */
    goldenSignals: goldenSignalsSchema.optional(),
    /** The optional AI analyst (docs/ai.md); without this key no model is ever asked anything. */
    ai: aiSchema.optional(),
    /** Chat channels in failover order, per severity; the console always comes last. */
    routing: z
      .object({
        default: z.array(z.enum(CHAT_CHANNELS)).optional(),
        ...Object.fromEntries(SEVERITIES.map((s) => [s, z.array(z.enum(CHAT_CHANNELS)).optional()])),
      })
      .strict()
      .default({}),
    delivery: z
      .object({
        /** A channel that keeps failing transiently this long is treated as down and the conversation moves on. */
        failoverAfter: duration.default(60_000),
        /** How often a down channel is tried again. */
        probeInterval: duration.default(30_000),
        /** Longest one platform call may take before it counts as a transient failure. */
        requestTimeout: duration.default(10_000),
      })
      .strict()
      .default({ failoverAfter: 60_000, probeInterval: 30_000, requestTimeout: 10_000 }),
    /** Storms: incidents that share a cause become members of one storm incident (docs/storms.md). */
    storms: z
      .object({
        /** Off, no incident joins a storm: each has its own thread and plan; maxUnhealthyNodes still applies. */
        enabled: z.boolean().default(DEFAULT_STORMS.enabled),
        /** Members of one key opened within this window of each other form a storm. */
        window: duration.default(DEFAULT_STORMS.windowMs),
        /** Incidents of one key open together hold their first analysis this long from the first of them, for a storm to form. */
        groupWait: duration.default(DEFAULT_STORMS.groupWaitMs),
        /** Fewer members than this are incidents of their own. */
        minMembers: z.number().int().min(2).max(10_000).default(DEFAULT_STORMS.minMembers),
        /** Nodes form a storm only when more than this share of the cluster's nodes fail together. */
        nodeShare: z.number().min(0).max(1).default(DEFAULT_STORMS.nodeShare),
        /** Or more than this share of one zone's nodes (topology.kubernetes.io/zone), at least minMembers of them. */
        zoneShare: z.number().min(0).max(1).default(DEFAULT_STORMS.zoneShare),
        /** Past this many unhealthy nodes (a count, or a share as "40%") node remediation stops altogether, as medik8s's maxUnhealthy. */
        maxUnhealthyNodes: z
          .union([z.number().int().min(0), z.string().regex(/^(100|[1-9]?[0-9])%$/, 'a count, or a share of the nodes as "40%"')])
          .transform((v): UnhealthyLimit => (typeof v === 'number' ? { count: v } : { share: Number(v.slice(0, -1)) / 100 }))
          .default(() => DEFAULT_STORMS.maxUnhealthyNodes),
      })
      .strict()
      .default({ enabled: DEFAULT_STORMS.enabled, window: DEFAULT_STORMS.windowMs, groupWait: DEFAULT_STORMS.groupWaitMs, minMembers: DEFAULT_STORMS.minMembers, nodeShare: DEFAULT_STORMS.nodeShare, zoneShare: DEFAULT_STORMS.zoneShare, maxUnhealthyNodes: DEFAULT_STORMS.maxUnhealthyNodes }),
    rules: z.array(z.unknown()).default([]),
    /** Blast-radius guards on rule changes (docs/rules.md "Blast-radius guards"). */
    ruleGuards: z
      .object({
        /** A live rule matching more than this share of the last `days` days' incidents waits for a second admin. */
        maxMatchShare: z.number().min(0).max(1).default(0.3),
        days: z.number().int().min(1).max(30).default(7),
      })
      .strict()
      .default({ maxMatchShare: 0.3, days: 7 }),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Only the Kubernetes executor waits on the cluster; the recording one answers at once.
    const waits: Array<[Array<string>, number, string]> = [
      [['executor', 'drainTimeout'], c.executor.drainTimeout, 'a drain'],
      [['executor', 'rolloutTimeout'], c.executor.rolloutTimeout, 'a rollout'],
      ...Object.entries(c.executor.hooks).map(([action, hook]): [string[], number, string] => [['executor', 'hooks', action, 'timeout'], hook.timeout, `the ${action} Job`]),
    ];
    for (const [path, wait, what] of c.executor.kind === 'kubernetes' ? waits : []) {
      if (wait >= c.engine.executeTimeout) ctx.addIssue({ code: 'custom', path, message: `must be shorter than engine.executeTimeout (${c.engine.executeTimeout} ms), or the engine gives up on ${what} before it reports` });
    }
    for (const action of c.executor.kind === 'kubernetes' ? [] : Object.keys(c.executor.hooks)) {
      ctx.addIssue({ code: 'custom', path: ['executor', 'hooks', action], message: 'hooks run as Kubernetes Jobs: they need executor.kind kubernetes' });
    }
    const seen = new Set<string>();
    c.auth.tokens.forEach((t, i) => {
      if (t.token.length < 8 && c.environment !== 'demo') {
        ctx.addIssue({ code: 'custom', path: ['auth', 'tokens', i, 'token'], message: 'tokens must be at least 8 characters outside the demo environment' });
      }
      if (seen.has(t.token)) ctx.addIssue({ code: 'custom', path: ['auth', 'tokens', i, 'token'], message: `token of ${t.name} is the same as another person's` });
      seen.add(t.token);
    });
    if (c.channels.telegram?.mode === 'webhook' && !c.channels.telegram.webhookSecret) {
      ctx.addIssue({ code: 'custom', path: ['channels', 'telegram', 'webhookSecret'], message: 'webhook mode needs a webhookSecret' });
    }
    if (c.channels.telegram?.mode === 'webhook' && !c.server.publicUrl) {
      ctx.addIssue({ code: 'custom', path: ['server', 'publicUrl'], message: 'Telegram webhook mode needs server.publicUrl' });
    }
    if (c.channels.whatsapp && !c.server.publicUrl) {
      ctx.addIssue({ code: 'custom', path: ['server', 'publicUrl'], message: 'WhatsApp needs server.publicUrl: Twilio signs webhooks over it and posts status callbacks to it' });
    }
    if (c.channels.slack?.socketMode && !c.channels.slack.appToken) {
      ctx.addIssue({ code: 'custom', path: ['channels', 'slack', 'appToken'], message: 'Socket Mode needs an app-level token (xapp-…)' });
    }
    for (const [route, names] of Object.entries(c.routing)) {
      (names as string[] | undefined)?.forEach((name, i) => {
        if (!(name in c.channels)) ctx.addIssue({ code: 'custom', path: ['routing', route, i], message: `channel "${name}" is not configured under channels` });
      });
    }
    const probeNames = new Set<string>();
    c.probes.forEach((probe, i) => {
      if (probeNames.has(probe.name)) ctx.addIssue({ code: 'custom', path: ['probes', i, 'name'], message: `probe "${probe.name}" is defined twice` });
      probeNames.add(probe.name);
    });
    const names = new Set<string>();
    c.people.forEach((person, i) => {
      if (names.has(person.name)) ctx.addIssue({ code: 'custom', path: ['people', i, 'name'], message: `"${person.name}" is listed twice` });
      names.add(person.name);
    });
    if (c.executor.kind === 'recording' && c.executor.journal === undefined && c.database.path === ':memory:') {
      ctx.addIssue({ code: 'custom', path: ['executor', 'journal'], message: 'an in-memory database has no directory to keep the journal beside: set executor.journal' });
    }
  })
  .transform((c) => ({ ...c, executor: { ...c.executor, journal: c.executor.journal ?? journalBeside(c.database.path) } }));

/**
 * `data/robosre.db` → `data/robosre-actions.ndjson`: the journal goes with its
 * database, so a second database in the same directory (or the same working
 * directory) has a journal of its own.
 */
export function journalBeside(databasePath: string): string {
  const { dir, name } = parsePath(databasePath);
  return join(dir, `${name}-actions.ndjson`);
}

export type RawConfig = z.output<typeof configSchema>;
export type Config = Omit<RawConfig, 'rules'> & {
  rules: OperatorRule[];
  /** Every secret value the config resolved (tokens, passwords, signing secrets), for redaction by value; never logged itself. */
  secrets: readonly string[];
};

/**
 * Validates a config object; every problem is reported with its path.
 * @example parseConfig({ environment: 'production', cluster: { name: 'prod-eu' } })
 */
export function parseConfig(input: unknown, source = 'config'): Config {
  const { result, secrets } = collectSecrets(() => configSchema.safeParse(input ?? {}));
  if (!result.success) {
    const problems = problemLines(result.error.issues, '(root)');
    throw new RobosreError('invalid_config', `invalid ${source}: ${problems.join('; ')}`, { source, problems });
  }
  const rules = result.data.rules.map((rule, index) => {
    try {
      return parseOperatorRule(rule);
    } catch (cause) {
      throw new RobosreError('invalid_config', `invalid ${source}: rules.${index}: ${(cause as Error).message}`, { source, index }, { cause });
    }
  });
  const destinations = ruleDestinations(result.data.channels);
  const problems = rules.flatMap((rule, index) => routeProblems(rule, destinations, `rules.${index}`));
  if (problems.length > 0) throw new RobosreError('invalid_config', `invalid ${source}: ${problems.join('; ')}`, { source, problems });
  // The demo's short sign-in tokens are announced in its banner and `demo` is in every demo subject: not secrets to mask.
  const announced = new Set(result.data.environment === 'demo' ? result.data.auth.tokens.map((t) => t.token).filter((t) => t.length < 8) : []);
  return { ...result.data, rules, secrets: secrets.filter((s) => !announced.has(s)) };
}

/** The chat channels configured and the names of their chats: where a rule may route (src/rules/destinations.ts). */
export function ruleDestinations(channels: RawConfig['channels']): RuleDestinations {
  const out: RuleDestinations = {};
  for (const name of CHAT_CHANNELS) {
    const channel = channels[name];
    if (channel) out[name] = [DEFAULT_CHAT, ...Object.keys(channel.chats)];
  }
  return out;
}

/**
 * Reads YAML or JSON from `path` (or `ROBOSRE_CONFIG`), or the embedded
 * default when neither is given.
 */
export function loadConfig(path: string | undefined = process.env.ROBOSRE_CONFIG || undefined): Config {
  if (!path) return parseConfig({}, 'embedded default config');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new RobosreError('invalid_config', `cannot read config ${path}: ${(cause as Error).message}`, { path }, { cause });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (cause) {
    throw new RobosreError('invalid_config', `config ${path} is not valid YAML: ${(cause as Error).message}`, { path }, { cause });
  }
  return parseConfig(data, `config ${path}`);
}
