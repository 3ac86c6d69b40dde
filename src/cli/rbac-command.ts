/** `robosre rbac`: the ClusterRole robosre needs, from the code's own lists, for `kubectl apply -f -`. */
import { Command } from 'commander';
import { clusterRoleYaml } from '../../adapters/kubernetes/rbac.js';
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
    });
}
