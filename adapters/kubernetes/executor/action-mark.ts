/**
 * The mark an action leaves on what it changed: its idempotency key in the
 * `robosre.io/action-key` annotation (a patched object, or a hook's Job).
 */
import type * as k8s from '@kubernetes/client-node';

export const ACTION_KEY_ANNOTATION = 'robosre.io/action-key';

/**
 * Whether the object carries exactly this action's key, i.e. this action
 * already ran (a retry after a crash). Only equality counts: a key starts with
 * its installation's id, so a mark left by another installation (a reinstall,
 * a second robosre on the same cluster) or by this one under another key (an
 * earlier incident, a cordon someone undid by hand) is never this action's,
 * and the action runs as on an unmarked object
 * (docs/adr/0001-installation-scoped-idempotency-keys.md).
 */
export function markedBy(obj: k8s.KubernetesObject, key: string): boolean {
  return obj.metadata?.annotations?.[ACTION_KEY_ANNOTATION] === key;
}
