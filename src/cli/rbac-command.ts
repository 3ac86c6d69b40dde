/** `robosre rbac`: the ClusterRole (and hook namespaces' Roles) robosre needs, from the code's own lists, for `kubectl apply -f -`. */
import { Command } from 'commander';
import { clusterRoleYaml, hookRolesYaml } from '../../adapters/kubernetes/rbac.js';
import { loadConfig } from '../config/config.js';

export function rbacCommand(): Command {
  return new Command('rbac')
    .description('print the least-privilege ClusterRole for a config (or for the options given)')
    .option('--config <file>', 'take the options from this config: kubernetes.helmReleases and executor.kind')
    .option('--helm-releases', 'include list/watch on Secrets for Helm release drift')
    .option('--executor', 'include the write verbs of the Kubernetes executor')
    .option('--name <name>', 'the ClusterRole name', 'robosre')
    .action((opts: { config?: string; helmReleases?: boolean; executor?: boolean; name: string }) => {
      const config = opts.config ? loadConfig(opts.config) : undefined;
      const helmReleases = opts.helmReleases ?? config?.kubernetes?.helmReleases ?? false;
      const executor = opts.executor ?? config?.executor.kind === 'kubernetes';
      process.stdout.write(clusterRoleYaml(opts.name, { helmReleases, executor }));
      // Hook Jobs are created only in their own namespaces: a Role there, never a cluster-wide grant.
      const hookNamespaces = Object.values(config?.executor.hooks ?? {}).map((h) => h.namespace);
      if (executor && hookNamespaces.length > 0) process.stdout.write(hookRolesYaml(opts.name, hookNamespaces));
    });
}
