/**
 * Every idempotency key robosre hands an executor is built here. A key is
 * `<installation>/<what>`: the installation id (created with the database,
 * `src/store/installation.repo.ts`) first, so two installations never share a
 * key even though both number their incidents from 1 — a mark or journal
 * entry left by another installation is never taken for this action's own
 * (docs/adr/0001-installation-scoped-idempotency-keys.md).
 *
 * A key is stored on its action row before the executor is called, so an
 * action resumed after a crash runs with the key it was started with: rows
 * written before keys carried the installation keep their old key.
 */

export type KeyFor =
  /** An action of the handler's plan for a stage. */
  | { kind: 'stage'; incidentId: number; reopen: number; stage: number; action: string; target: string }
  /** An action a person asked for; `at` tells two requests for the same thing apart. */
  | { kind: 'requested'; incidentId: number; reopen: number; by: string; action: string; target: string; at: number }
  /** A dry run for an approval prompt: nothing is changed under it. */
  | { kind: 'preview'; incidentId: number; action: string; target: string }
  /** The undo of an action, named after the key that action ran under. */
  | { kind: 'undo'; of: string };

export function idempotencyKey(installation: string, key: KeyFor): string {
  const prefix = `${installation}/`;
  switch (key.kind) {
    case 'stage':
      return `${prefix}incident-${key.incidentId}/r${key.reopen}/s${key.stage}/${key.action}/${key.target}`;
    case 'requested':
      return `${prefix}incident-${key.incidentId}/r${key.reopen}/requested/${key.by}/${key.action}/${key.target}/${key.at}`;
    case 'preview':
      return `${prefix}preview/incident-${key.incidentId}/${key.action}/${key.target}`;
    case 'undo':
      // A key from before keys carried the installation gets it here, so the undo is this installation's too.
      return `${key.of.startsWith(prefix) ? '' : prefix}${key.of}/undo`;
  }
}
