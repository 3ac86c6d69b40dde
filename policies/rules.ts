/**
 * Operator rules (seed 004 "Operator-Defined Rules"): validated here so that
 * what reaches the evaluator can tune but never carries commands or secrets
 * and never asks for a disruptive or human-only action to be automatic.
 * The evaluator still treats every rule as untrusted; this is the first wall.
 */
import { z } from 'zod';
import { ACTION_IDS, getAction } from './actions.js';
import { PolicyInputError, type PolicyIssue } from './errors.js';
import { EXPRESSION_LIMITS, expressionIssue } from './expressions.js';
import { suppressionWindowSchema } from './schedule.js';
import { signalSelectorSchema } from './selector.js';
import { INCIDENT_TYPES, getIncidentClass } from './taxonomy.js';
import { DOMAINS, ENVIRONMENTS, SEVERITIES, type Environment, type OperatorRule } from './types.js';

const COMMAND_KEY = /^(command|commands|cmd|shell|script|scripts|exec|run|entrypoint|args)$/i;
const SECRET_KEY = /pass(word|wd)|token|secret|api[-_]?key|private[-_]?key|credential/i;
const SECRET_VALUES: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z0-9 ]*-----/, 'a PEM block'],
  [/xox[abposr]-[A-Za-z0-9-]{8,}/, 'a Slack token'],
  [/\d{6,}:[A-Za-z0-9_-]{30,}/, 'a Telegram bot token'],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}/, 'a GitHub token'],
];
const MAX_DEPTH = 12;
const RULE_ID = /^[A-Za-z0-9._-]{1,128}$/;

function pathOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Commands and secrets are refused wherever they hide, including free-form maps like signalSelector. */
function scan(value: unknown, path: (string | number)[], issues: PolicyIssue[]): void {
  if (path.length > MAX_DEPTH) {
    issues.push({ path: pathOf(path), message: 'nested too deeply' });
    return;
  }
  if (typeof value === 'string') {
    const hit = SECRET_VALUES.find(([pattern]) => pattern.test(value));
    if (hit) issues.push({ path: pathOf(path), message: `value looks like ${hit[1]}; rules may not carry secret values` });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => scan(item, [...path, index], issues));
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const at = pathOf([...path, key]);
    if (COMMAND_KEY.test(key)) {
      issues.push({ path: at, message: `rules may not define commands ("${key}"); robosre only runs catalogue actions` });
    } else if (SECRET_KEY.test(key)) {
      issues.push({ path: at, message: `rules may not carry secrets (key "${key}"); keep credentials out of rules` });
    } else {
      scan(item, [...path, key], issues);
    }
  }
}

const actionId = z.string().superRefine((id, ctx) => {
  if (!ACTION_IDS.includes(id)) ctx.addIssue({ code: 'custom', message: `unknown action "${id}"; valid actions: ${ACTION_IDS.join(', ')}` });
});
const glob = z.string().min(1).max(253);
const seconds = z.number().int().min(0).max(7 * 24 * 3600);
const shortText = z.string().min(1).max(200);
/** The incident type no rule may silence: it is how the robot says it cannot reach anyone. */
export const NEVER_SUPPRESSED = 'chatops_delivery_failure';

/** CEL, type-checked against the rule view at save time; a refusal carries the offset. */
const celCondition = z
  .string()
  .min(1)
  .max(EXPRESSION_LIMITS.sourceLength)
  .superRefine((source, ctx) => {
    const found = expressionIssue(source, 'expression');
    if (found) ctx.addIssue({ code: 'custom', message: found.message, params: { offset: found.offset } });
  });

// Channel names are checked against the configured channels where those are known (config, docs/rules.md).
const channelName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a channel name such as telegram, slack or whatsapp');
// Chat names only, never platform ids: a rule can reach only a chat the config names (channels.<channel>.chats, docs/rules.md).
export const CHAT_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
const chatName = z.string().regex(CHAT_NAME, 'a chat name configured under channels.<channel>.chats, such as db-oncall (not a platform id)');
const mention = z.string().regex(/^[@#<!]?[A-Za-z0-9._|^@!<>:-]{1,80}$/, 'a mention such as @oncall, @alice or <!subteam^S123>');
const notificationRoute = {
  channels: z.array(channelName).min(1, 'a route needs at least one channel; leave it out to keep the default route').max(8).optional(),
  chats: z.array(chatName).min(1, 'name at least one chat; leave chats out to keep the default chats').max(8).optional(),
  mentions: z.array(mention).max(16).optional(),
};
const notificationPolicySchema = z
  .object({
    ...notificationRoute,
    bySeverity: z
      .object(Object.fromEntries(SEVERITIES.map((s) => [s, z.object(notificationRoute).strict().optional()])) as Record<(typeof SEVERITIES)[number], z.ZodOptional<z.ZodObject<typeof notificationRoute>>>)
      .strict()
      .optional(),
  })
  .strict();

const severityEscalationSchema = z
  .object({
    to: z.enum(SEVERITIES).refine((s) => s !== 'info', 'escalations raise severity; info is the lowest'),
    when: celCondition.optional(),
    afterMinutes: z.number().int().min(1).max(7 * 24 * 60).optional(),
  })
  .strict()
  .refine((e) => e.when !== undefined || e.afterMinutes !== undefined, 'an escalation needs a when condition, afterMinutes, or both');

const allowlistEntrySchema = z
  .object({
    kind: glob.optional(),
    namespace: glob.optional(),
    name: glob.optional(),
    note: shortText.optional(),
    actions: z.array(actionId).min(1).max(16),
    environments: z.array(z.enum(ENVIRONMENTS)).min(1).optional(),
  })
  .strict()
  .superRefine((entry, ctx) => {
    const parts = [entry.kind, entry.namespace, entry.name].filter((p) => p !== undefined && !/^\*+$/.test(p));
    if (parts.length === 0) ctx.addIssue({ code: 'custom', message: 'an allowlist entry must narrow the target with a kind, namespace or name other than *' });
    entry.actions.forEach((id, index) => {
      const cls = ACTION_IDS.includes(id) ? getAction(id).class : undefined;
      if (cls !== undefined && cls !== 'contain') {
        ctx.addIssue({ code: 'custom', path: ['actions', index], message: `allowlists apply to contain actions only; ${id} is ${cls}` });
      }
    });
  });

export const operatorRuleSchema = z
  .object({
    id: z.string().regex(RULE_ID, 'id must be 1-128 letters, digits, dots, dashes or underscores'),
    name: shortText,
    enabled: z.boolean(),
    domain: z.enum(DOMAINS).optional(),
    incidentType: z.string().superRefine((type, ctx) => {
      if (!INCIDENT_TYPES.includes(type)) {
        ctx.addIssue({ code: 'custom', message: `unknown incident type "${type}"; valid types: ${INCIDENT_TYPES.join(', ')}` });
      }
    }),
    environmentScope: z.array(z.enum(ENVIRONMENTS)).min(1),
    signalSelector: signalSelectorSchema.optional(),
    thresholdExpression: celCondition.optional(),
    severity: z.enum(SEVERITIES).optional(),
    severityEscalation: z.array(severityEscalationSchema).max(8).optional(),
    notificationPolicy: notificationPolicySchema.optional(),
    allowedActionProfile: z
      .object({
        auto: z.array(actionId).optional(),
        requireApproval: z.array(actionId).optional(),
        deny: z.array(actionId).optional(),
        allowlist: z.array(allowlistEntrySchema).max(64).optional(),
      })
      .strict()
      .optional(),
    cooldownSeconds: z
      .object({
        observationSeconds: seconds.optional(),
        duplicateSuppressionSeconds: seconds.optional(),
        sameActionRetrySeconds: seconds.optional(),
        disruptiveRetrySeconds: seconds.optional(),
      })
      .strict()
      .optional(),
    suppressionSchedule: z.array(suppressionWindowSchema).max(16).optional(),
    incidentTypeEnabled: z.boolean().optional(),
    mode: z.enum(['live', 'shadow']).optional(),
    owner: shortText,
    version: z.number().int().min(1),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (!INCIDENT_TYPES.includes(rule.incidentType)) return;
    const cls = getIncidentClass(rule.incidentType);
    if (rule.incidentType === NEVER_SUPPRESSED && rule.suppressionSchedule?.length) {
      ctx.addIssue({ code: 'custom', path: ['suppressionSchedule'], message: `${NEVER_SUPPRESSED} can never be suppressed: it is how robosre says it cannot reach anyone` });
    }
    if (rule.domain !== undefined && rule.domain !== cls.domain) {
      ctx.addIssue({ code: 'custom', path: ['domain'], message: `${rule.incidentType} belongs to ${cls.domain}, not ${rule.domain}` });
    }
    (rule.allowedActionProfile?.auto ?? []).forEach((id, index) => {
      if (!ACTION_IDS.includes(id)) return;
      const message = autoRefusal(id, rule.incidentType);
      if (message) ctx.addIssue({ code: 'custom', path: ['allowedActionProfile', 'auto', index], message });
    });
  });

/**
 * The actions a rule of this incident type may name in each list of
 * `allowedActionProfile`: the class's families for requireApproval and deny,
 * only what `auto` would accept for auto, only contain actions for the
 * allowlist. The console offers these and nothing else (GET /api/rules/catalog).
 */
export function actionChoices(incidentType: string): { auto: string[]; requireApproval: string[]; deny: string[]; allowlist: string[] } {
  const family = getIncidentClass(incidentType).actions.map((b) => b.action);
  return {
    auto: family.filter((id) => autoRefusal(id, incidentType) === undefined),
    requireApproval: family,
    deny: family,
    allowlist: family.filter((id) => getAction(id).class === 'contain'),
  };
}

/** Why `auto` may not name this action, or undefined when it may. */
function autoRefusal(id: string, incidentType: string): string | undefined {
  const action = getAction(id);
  if (action.class === 'disruptive' || action.class === 'human_only') {
    return `${id} is a ${action.class} action; operator rules may not make disruptive or human-only actions automatic`;
  }
  const binding = getIncidentClass(incidentType).actions.find((b) => b.action === id);
  if (!binding) return `${id} is not in the action families of ${incidentType}`;
  if (binding.mode !== 'auto') return `${incidentType} binds ${id} to ${binding.mode}; operator rules can only keep automatic what already is`;
  return undefined;
}

function issueOf(i: z.core.$ZodIssue): PolicyIssue {
  const offset = i.code === 'custom' ? (i.params as { offset?: unknown } | undefined)?.offset : undefined;
  return { path: pathOf(i.path), message: i.message, ...(typeof offset === 'number' ? { offset } : {}) };
}

/** The rule's id for the message, unless the id itself is what is wrong (it might be a secret). */
function ruleName(input: unknown, issues: readonly PolicyIssue[]): string {
  const id = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined;
  return typeof id === 'string' && RULE_ID.test(id) && !issues.some((i) => i.path === 'id') ? ` "${id}"` : '';
}

/**
 * Validates an operator rule; every problem is reported with its path.
 * @example parseOperatorRule({ id: 'r1', name: 'quiet staging', enabled: true, incidentType: 'node_disk_pressure',
 *   environmentScope: ['staging'], owner: 'ops', version: 1 })
 * @throws PolicyInputError `invalid_rule` with `issues` ({ path, message }).
 */
export function parseOperatorRule(input: unknown): OperatorRule {
  const issues: PolicyIssue[] = [];
  scan(input, [], issues);
  if (issues.length === 0) {
    const result = operatorRuleSchema.safeParse(input);
    if (result.success) return result.data;
    issues.push(...result.error.issues.map((i) => issueOf(i)));
  }
  throw new PolicyInputError('invalid_rule', `invalid operator rule${ruleName(input, issues)}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    issues,
  });
}

/** Enabled rules for this incident type in this environment, in the order given. */
export function scopedRules(rules: readonly OperatorRule[] | undefined, incidentType: string, environment: Environment): OperatorRule[] {
  return (rules ?? []).filter((r) => r.enabled && r.incidentType === incidentType && r.environmentScope.includes(environment));
}
