/**
 * Targets, the V1 auto-contain allowlist and the never-auto-contain list of
 * seed 004, and the glob matching both use.
 */
import picomatch from 'picomatch';
import { PolicyInputError } from './errors.js';
import type { AllowlistEntry, Environment, ProtectedTarget, Target, TargetPattern } from './types.js';

export const DEFAULT_ALLOWLIST: readonly AllowlistEntry[] = [
  { actions: ['delete_completed_pods'], note: 'delete Succeeded and Failed pods cluster-wide' },
  { actions: ['suspend_cronjob'], kind: 'cronjob', name: 'trivy-db-warmup', note: 'suspend trivy-db-warmup' },
  { actions: ['scale_to_zero'], kind: 'deployment', name: 'headlamp', environments: ['demo'], note: 'headlamp' },
  { actions: ['scale_to_zero'], kind: 'deployment', namespace: 'tekton-pipelines', environments: ['demo'], note: 'tekton-pipelines deployments' },
  {
    actions: ['scale_to_zero'],
    kind: 'deployment',
    namespace: 'tekton-pipelines-resolvers',
    environments: ['demo'],
    note: 'tekton-pipelines-resolvers deployments',
  },
  { actions: ['scale_to_zero'], kind: 'deployment', namespace: 'image-factory', environments: ['demo'], note: 'image-factory demo app deployments' },
];

/** Hard constraint: nothing mutating on these is ever automatic, whatever rules or allowlists say. */
export const NEVER_AUTO_CONTAIN: readonly ProtectedTarget[] = [
  { namespace: '*supabase*', note: 'Supabase config' },
  { name: '*supabase*', note: 'Supabase config' },
  { namespace: 'ingress-nginx', note: 'ingress controller' },
  { name: '*ingress*controller*', note: 'ingress controller' },
  { namespace: 'cert-manager', note: 'cert-manager' },
  // delete_completed_pods aims at a namespace only as the scope of finished pods inside it.
  { kind: '{namespace,ns}', exceptActions: ['delete_completed_pods'], note: 'namespace deletion' },
  { kind: '{persistentvolumeclaim,pvc,persistentvolume,pv}', note: 'PVC deletion' },
  { name: '*{db,database}*reset*', note: 'database reset' },
];

const KIND = /^[A-Za-z][A-Za-z0-9]{0,62}$/;
// RFC 1123 names (nodes may be IPs): lowercase so case never decides a glob match.
const NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const FORMAT = 'expected kind/namespace/name or kind/name with lowercase RFC 1123 names, e.g. deployment/shop/api or node/worker-1';

function invalid(detail: string): PolicyInputError {
  return new PolicyInputError('invalid_target', `invalid target ${detail}; ${FORMAT}`);
}

function checked(target: Target): Target {
  const { kind, namespace, name } = target;
  const shown = JSON.stringify([kind, namespace, name].filter((p) => p !== undefined).join('/'));
  if (typeof kind !== 'string' || !KIND.test(kind)) throw invalid(shown);
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace.length > 63 || !NAME.test(namespace))) throw invalid(shown);
  if (typeof name !== 'string' || !NAME.test(name)) throw invalid(shown);
  return namespace === undefined ? { kind: kind.toLowerCase(), name } : { kind: kind.toLowerCase(), namespace, name };
}

/**
 * @example parseTarget('deployment/shop/api') // { kind: 'deployment', namespace: 'shop', name: 'api' }
 * @throws PolicyInputError `invalid_target`
 */
export function parseTarget(text: string): Target {
  if (typeof text !== 'string') throw invalid(String(text));
  const parts = text.split('/');
  if (parts.length === 3) return checked({ kind: parts[0]!, namespace: parts[1]!, name: parts[2]! });
  if (parts.length === 2) return checked({ kind: parts[0]!, name: parts[1]! });
  throw invalid(JSON.stringify(text));
}

/**
 * The canonical string form, the one history records use.
 * @example formatTarget({ kind: 'Node', name: 'worker-1' }) // "node/worker-1"
 * @throws PolicyInputError `invalid_target`
 */
export function formatTarget(target: Target): string {
  const t = checked(target);
  return t.namespace === undefined ? `${t.kind}/${t.name}` : `${t.kind}/${t.namespace}/${t.name}`;
}

function globMatch(value: string | undefined, glob: string | undefined): boolean {
  if (glob === undefined) return true;
  return value !== undefined && picomatch.isMatch(value, glob, { nocase: true, dot: true });
}

/**
 * Every part of the pattern present is a glob the target's part must match.
 * A namespace object counts as being in itself, so `namespace: cert-manager` also covers `namespace/cert-manager`.
 * @example matchesPattern(parseTarget('deployment/tekton-pipelines/x'), { kind: 'deployment', namespace: 'tekton-*' }) // true
 */
export function matchesPattern(target: Target, pattern: TargetPattern): boolean {
  const namespace = target.namespace ?? (globMatch(target.kind, '{namespace,ns}') ? target.name : undefined);
  return globMatch(target.kind, pattern.kind) && globMatch(namespace, pattern.namespace) && globMatch(target.name, pattern.name);
}

/** The first entry allowing `action` on `target` in `environment`. */
export function findAllowlistEntry(
  entries: readonly AllowlistEntry[],
  action: string,
  target: Target,
  environment: Environment,
): AllowlistEntry | undefined {
  return entries.find(
    (e) => e.actions.includes(action) && (e.environments === undefined || e.environments.includes(environment)) && matchesPattern(target, e),
  );
}

/** The never-auto-contain entry covering `action` on `target`, if any. */
export function findProtectedTarget(action: string, target: Target): ProtectedTarget | undefined {
  return NEVER_AUTO_CONTAIN.find((p) => !(p.exceptActions ?? []).includes(action) && matchesPattern(target, p));
}
