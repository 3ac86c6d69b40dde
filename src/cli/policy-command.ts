/** `robosre policy explain` and `robosre policy list`: the safety policy, asked directly. */
import { Command } from 'commander';
import { ACTIONS } from '../../policies/actions.js';
import { formatTarget, parseTarget } from '../../policies/allowlist.js';
import { PolicyInputError } from '../../policies/errors.js';
import { evaluatePolicy } from '../../policies/evaluate.js';
import { INCIDENT_CLASSES } from '../../policies/taxonomy.js';
import { CONFIDENCES, ENVIRONMENTS, type Confidence, type Environment, type Target } from '../../policies/types.js';

interface ExplainOptions {
  type: string;
  action: string;
  env: string;
  confidence: string;
  target?: string;
  json?: boolean;
}

function out(command: Command, text: string): void {
  command.configureOutput().writeOut?.(text);
}

/** Bad input is a usage error: message on stderr, exit code 2. */
function fail(command: Command, message: string): never {
  command.error(`robosre: ${message}`, { exitCode: 2, code: 'robosre.invalid_input' });
}

function oneOf<T extends string>(command: Command, what: string, value: string, valid: readonly T[]): T {
  if (!(valid as readonly string[]).includes(value)) fail(command, `unknown ${what} "${value}"; valid: ${valid.join(', ')}`);
  return value as T;
}

function explain(opts: ExplainOptions, command: Command): void {
  const environment = oneOf<Environment>(command, 'environment', opts.env, ENVIRONMENTS);
  const confidence = oneOf<Confidence>(command, 'confidence', opts.confidence, CONFIDENCES);
  let target: Target | undefined;
  let decision;
  try {
    target = opts.target === undefined ? undefined : parseTarget(opts.target);
    // No history here, so the clock only has to be plausible; policies/ itself never reads it.
    decision = evaluatePolicy({ incidentType: opts.type, action: opts.action, environment, confidence, now: Date.now(), ...(target ? { target } : {}) });
  } catch (error) {
    if (error instanceof PolicyInputError) fail(command, error.message);
    throw error;
  }
  const shownTarget = target ? formatTarget(target) : null;
  if (opts.json) {
    const { decision: verdict, reasons, actionClass } = decision;
    const body = { decision: verdict, reasons, actionClass, incidentType: opts.type, action: opts.action, environment, confidence, target: shownTarget };
    out(command, `${JSON.stringify(body, null, 2)}\n`);
    return;
  }
  out(
    command,
    [
      `decision: ${decision.decision}`,
      `action: ${opts.action} (${decision.actionClass})`,
      `incident type: ${opts.type}, environment: ${environment}, confidence: ${confidence}, target: ${shownTarget ?? 'none'}`,
      'reasons:',
      ...decision.reasons.map((r) => `  - ${r}`),
      '',
    ].join('\n'),
  );
}

function list(opts: { json?: boolean }, command: Command): void {
  const incidentTypes = INCIDENT_CLASSES.map((c) => ({ type: c.type, domain: c.domain, displayName: c.displayName, defaultSeverity: c.defaultSeverity }));
  const actions = ACTIONS.map((a) => ({ id: a.id, class: a.class, displayName: a.displayName, idempotent: a.idempotent, mutating: a.mutating }));
  if (opts.json) {
    out(command, `${JSON.stringify({ incidentTypes, actions }, null, 2)}\n`);
    return;
  }
  const lines = [
    'incident types:',
    ...incidentTypes.map((t) => `  ${t.type.padEnd(32)} ${t.domain.padEnd(22)} ${t.displayName}`),
    '',
    'actions:',
    ...actions.map((a) => `  ${a.id.padEnd(32)} ${a.class.padEnd(22)} ${a.displayName}`),
    '',
  ];
  out(command, lines.join('\n'));
}

/**
 * The `policy` command group. Its subcommands throw CommanderError instead of exiting
 * (addCommand does not pass main's exitOverride down), so main maps usage errors to exit 2.
 * @example program.addCommand(policyCommand())
 */
export function policyCommand(): Command {
  const explainCommand = new Command('explain')
    .description("the policy's decision and reasons for one action on one incident type")
    .requiredOption('--type <incident_type>', 'incident type (see `robosre policy list`)')
    .requiredOption('--action <action_id>', 'action id (see `robosre policy list`)')
    .option('--env <environment>', ENVIRONMENTS.join(' | '), 'demo')
    .option('--confidence <confidence>', CONFIDENCES.join(' | '), 'high')
    .option('--target <target>', 'kind/namespace/name or kind/name')
    .option('--json', 'print JSON')
    .exitOverride()
    .action(explain);
  const listCommand = new Command('list').description('incident types and actions').option('--json', 'print JSON').exitOverride().action(list);
  return new Command('policy').description('explain the safety policy').addCommand(explainCommand).addCommand(listCommand);
}
