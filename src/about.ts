/**
 * What this robosre is: its installation (the id every idempotency key
 * carries), version and environment. Shown by `robosre about` and
 * `GET /api/about`; nothing secret, nothing about the host.
 */
import type { Config } from './config/config.js';
import type { Store } from './store/db.js';

/** The package version; test/cli/about.test.ts checks it against package.json. */
export const VERSION = '0.1.0';

export interface About {
  installation: { id: string; createdAt: string };
  version: string;
  environment: Config['environment'];
  cluster: string;
  executor: Config['executor']['kind'];
}

export function about(config: Config, store: Store): About {
  return {
    installation: { id: store.installation.id, createdAt: new Date(store.installation.createdAt).toISOString() },
    version: VERSION,
    environment: config.environment,
    cluster: config.cluster.name,
    executor: config.executor.kind,
  };
}
