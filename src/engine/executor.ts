/**
 * The port through which every action leaves robosre. Executors accept only
 * an `AuthorizedAction`, which only `authorize()` can make: executing
 * something the policy did not allow is a type error, not a review comment.
 */
import type { ActionClass, PolicyDecision } from '../../policies/types.js';
import type { ReviewedPatch } from './reviewed-patch.js';

export type { ReviewedPatch } from './reviewed-patch.js';

declare const authorizedBrand: unique symbol;

/** The target as the approval prompt described it; execution refuses a target changed since. */
export interface TargetVersion {
  resourceVersion: string;
  /** Changes only when someone changes the object (its generation, or a digest of its spec and labels), not on status writes. */
  fingerprint: string;
}


export interface ActionParams {
  /** The action row this one undoes. */
  undoes?: number;
  seenVersion?: TargetVersion;
  patch?: ReviewedPatch;
}

export interface ActionRequest {
  /**
   * Recorded before execution; the same key twice must mean the same single
   * effect. It starts with the installation id (idempotency-key.ts): only this
   * exact key is this action's, never a mark or entry under any other.
   */
  idempotencyKey: string;
  incidentId: number;
  actionId: string;
  actionClass: ActionClass;
  target: string;
  params?: ActionParams;
}

/** How to put back exactly what an action changed, as the executor saw it. */
export interface Undo {
  action: string;
  patch?: ReviewedPatch;
}

/** A dry-run account of an action, for its approval prompt. */
export interface Preview {
  /** "evicts 7 pods on node-40; 2 blocked by PDB payments/api"; absent when the catalogue's line is all there is. */
  impact?: string;
  version?: TargetVersion;
}

export type AuthorizedAction = ActionRequest & {
  readonly [authorizedBrand]: true;
  readonly decision: PolicyDecision;
  /** Who approved it, when the policy required approval. */
  readonly approvedBy: string | null;
};

export interface ExecutionResult {
  outcome: 'succeeded' | 'failed';
  /** State of the target before and after, as far as the executor can read it. */
  before?: unknown;
  after?: unknown;
  detail?: string;
  /** True when the key had been applied already (a resumed step). */
  alreadyApplied?: boolean;
  /** Absent when nothing changed or nothing can be put back. */
  undo?: Undo;
}

export interface Executor {
  execute(action: AuthorizedAction): Promise<ExecutionResult>;
  /** False for an action it would only refuse (no hook configured, not implemented); the plan passes over it. Absent: everything. */
  supports?(actionId: string): boolean;
  /**
   * What the action would do, from reads and dry runs only — nothing may
   * change. Asked before an approval is requested, so the prompt's expected
   * impact is the cluster's own answer; undefined when there is nothing to add.
   */
  preview?(request: ActionRequest): Promise<Preview | undefined>;
}
