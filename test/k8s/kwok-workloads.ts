/** Workloads for the kwok cluster's tests and benches: a Deployment whose pods kwok runs, or fails as kwok-stages.ts says. */
import type * as k8s from '@kubernetes/client-node';
import { FAILURE_ANNOTATION, type PodFailure } from './kwok-stages.js';

export interface KwokDeploymentOptions {
  /** How kwok fails its pods (crash loop, OOM kill, image pull); they run when none. */
  failure?: PodFailure;
  tolerations?: k8s.V1Toleration[];
  /** E.g. `{ [GROUP_LABEL]: 'calm' }`: only that group's nodes. */
  nodeSelector?: Record<string, string>;
}

/** A Deployment of `replicas` pods labelled `app: <name>`, one container of image `registry.test/<name>:1`. */
export function kwokDeployment(name: string, replicas: number, options: KwokDeploymentOptions = {}): k8s.V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: options.failure ? { [FAILURE_ANNOTATION]: options.failure } : {} },
        spec: { containers: [{ name: 'app', image: `registry.test/${name}:1` }], ...(options.tolerations ? { tolerations: options.tolerations } : {}), ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}) },
      },
    },
  };
}
