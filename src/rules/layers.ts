/**
 * The read-only layers under custom rules: the built-in taxonomy and the
 * config file's rules. A built-in is shown as the operator rule that restates
 * its defaults (what a clone starts from); it is never given to the engine,
 * which applies the taxonomy itself. See docs/rules.md "Rules as data" for
 * how custom rules override these.
 */
import { getIncidentClass, INCIDENT_CLASSES } from '../../policies/taxonomy.js';
import { resolveCooldowns } from '../../policies/cooldowns.js';
import { ENVIRONMENTS, type IncidentClass, type OperatorRule } from '../../policies/types.js';

export const LAYERS = ['builtin', 'file', 'custom'] as const;
export type Layer = (typeof LAYERS)[number];

/** Built-in ids are `builtin.<incident type>`; custom rules may not take the prefix. */
export const BUILTIN_PREFIX = 'builtin.';

/** The built-in class as an operator rule with its defaults spelled out; the policy decides the same with or without it. */
export function builtInRule(cls: IncidentClass): OperatorRule {
  const modes = (mode: 'auto' | 'approval'): string[] => cls.actions.filter((b) => b.mode === mode).map((b) => b.action);
  return {
    id: `${BUILTIN_PREFIX}${cls.type}`,
    name: cls.displayName,
    enabled: true,
    domain: cls.domain,
    incidentType: cls.type,
    environmentScope: [...ENVIRONMENTS],
    severity: cls.defaultSeverity,
    allowedActionProfile: { auto: modes('auto'), requireApproval: modes('approval') },
    // The environment does not change a class's cooldowns; any environment resolves them.
    cooldownSeconds: resolveCooldowns(cls, [], 'demo'),
    owner: 'robosre (built-in)',
    version: 1,
  };
}

export function builtInRules(): OperatorRule[] {
  return INCIDENT_CLASSES.map(builtInRule);
}

/** The built-in rule with this id, or undefined. */
export function findBuiltIn(id: string): OperatorRule | undefined {
  if (!id.startsWith(BUILTIN_PREFIX)) return undefined;
  const type = id.slice(BUILTIN_PREFIX.length);
  return INCIDENT_CLASSES.some((c) => c.type === type) ? builtInRule(getIncidentClass(type)) : undefined;
}
