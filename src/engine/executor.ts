/**
 * The port through which every action leaves robosre. Executors accept only
 * an `AuthorizedAction`, which only `authorize()` can make: executing
 * something the policy did not allow is a type error, not a review comment.
 */
import type { ActionClass, PolicyDecision } from '../../policies/types.js';

declare const authorizedBrand: unique symbol;

export interface ActionRequest {
  /** Recorded before execution; the same key twice must mean the same single effect. */
  idempotencyKey: string;
  incidentId: number;
  actionId: string;
  actionClass: ActionClass;
  target: string;
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
}

export interface Executor {
  execute(action: AuthorizedAction): Promise<ExecutionResult>;
  /**
   * What the action would do, from reads and dry runs only — nothing may
   * change. Asked before an approval is requested, so the prompt's expected
   * impact is the cluster's own answer; undefined when there is nothing to add.
   */
  preview?(request: ActionRequest): Promise<string | undefined>;
}
