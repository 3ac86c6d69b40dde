/**
 * Waits for one object to reach a state by watching it, never by polling:
 * one watch on its name, reopened if the API server closes it early.
 */
import * as k8s from '@kubernetes/client-node';

/**
 * The first version of the object `done` accepts, or undefined at the
 * timeout. `collection` is the list path (`/apis/batch/v1/namespaces/ops/jobs`).
 * A reopened watch starts from a fresh list, so a change made while it was
 * closed is not missed.
 */
export function watchUntil<T extends k8s.KubernetesObject>(kc: k8s.KubeConfig, collection: string, name: string, done: (obj: T) => boolean, timeoutMs: number, resourceVersion?: string): Promise<T | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    let request: AbortController | undefined;
    const finish = (obj: T | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request?.abort();
      resolve(obj);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const start = (rv: string | undefined) => {
      void new k8s.Watch(kc)
        .watch(
          collection,
          { fieldSelector: `metadata.name=${name}`, ...(rv ? { resourceVersion: rv } : {}) },
          (_type: string, obj: T) => {
            if (done(obj)) finish(obj);
          },
          () => {
            if (!settled) setTimeout(() => start(undefined), 200);
          },
        )
        .then((controller) => {
          request = controller;
          if (settled) controller.abort();
        })
        .catch(() => {
          if (!settled) setTimeout(() => start(undefined), 1_000);
        });
    };
    start(resourceVersion);
  });
}
