/**
 * What a rule's fields may hold, for the console's form editor (GET
 * /api/rules/catalog): computed from policies/ once, so the browser never
 * carries its own copy of the taxonomy, the action catalogue or the enums.
 */
import { getAction } from '../../policies/actions.js';
import { actionChoices } from '../../policies/rules.js';
import { WEEKDAYS } from '../../policies/schedule.js';
import { INCIDENT_CLASSES } from '../../policies/taxonomy.js';
import { DOMAINS, ENVIRONMENTS, SEVERITIES } from '../../policies/types.js';

export interface RuleCatalog {
  incidentTypes: { type: string; domain: string; displayName: string; defaultSeverity: string; actions: ReturnType<typeof actionChoices> }[];
  /** Every action any incident type offers, with its class (the pickers show it beside the id). */
  actions: { id: string; class: string; displayName: string }[];
  severities: readonly string[];
  environments: readonly string[];
  domains: readonly string[];
  weekdays: readonly string[];
}

function build(): RuleCatalog {
  const incidentTypes = INCIDENT_CLASSES.map((c) => ({ type: c.type, domain: c.domain, displayName: c.displayName, defaultSeverity: c.defaultSeverity, actions: actionChoices(c.type) }));
  const ids = [...new Set(INCIDENT_CLASSES.flatMap((c) => c.actions.map((b) => b.action)))].sort();
  const actions = ids.map((id) => {
    const a = getAction(id);
    return { id, class: a.class, displayName: a.displayName };
  });
  return { incidentTypes, actions, severities: SEVERITIES, environments: ENVIRONMENTS, domains: DOMAINS, weekdays: WEEKDAYS };
}

let cached: RuleCatalog | undefined;

/** The same object every call: policies/ data is fixed for the life of the process. */
export function ruleCatalog(): RuleCatalog {
  cached ??= build();
  return cached;
}
