/**
 * A real Kubernetes control plane for tests: etcd and kube-apiserver (and,
 * when asked, kube-controller-manager) built from their Go modules by
 * scripts/k8s/build.sh, started on loopback with RBAC on, an admin token and
 * a restricted one. There is no kubelet: tests write Node and Pod status
 * through the status subresource, as the kubelet would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  server: string;
  /** A kubeconfig with contexts `admin` (system:masters) and `restricted` (no roles). */
  kubeconfigPath: string;
  caPath: string;
  adminToken: string;
  restrictedToken: string;
  dir: string;
  /** Stops kube-apiserver and starts it again on the same port and etcd, as an upgrade or crash would. */
  restartApiServer(): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '../..');

/** Where build.sh puts the binaries for the versions in scripts/k8s/versions.env. */
export function binariesDir(): string {
  const versions = Object.fromEntries(
    readFileSync(join(ROOT, 'scripts/k8s/versions.env'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => l.split('=') as [string, string]),
  );
  const cache = process.env.ROBOSRE_K8S_CACHE ?? join(homedir(), '.cache/robosre/k8s');
  const dir = join(cache, `k8s-${versions.K8S_VERSION}-etcd-${versions.ETCD_VERSION}`);
  if (!existsSync(join(dir, '.complete'))) {
    throw new Error(`the test control plane is not built (no ${dir}/.complete): run scripts/k8s/build.sh (a cold build takes about 20 minutes on 2 cores)`);
  }
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function launch(bin: string, args: string[], log: string): ChildProcess {
  const out = openSync(log, 'a');
  return spawn(bin, args, { stdio: ['ignore', out, out] });
}

/** GET with the admin token over the self-signed serving certificate. */
export function adminGet(cp: Pick<ControlPlane, 'server' | 'caPath' | 'adminToken'>, path: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(`${cp.server}${path}`, { ca: readFileSync(cp.caPath), headers: { authorization: `Bearer ${cp.adminToken}` } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

export async function startControlPlane(options: { controllerManager?: boolean } = {}): Promise<ControlPlane> {
  const bin = binariesDir();
  const dir = mkdtempSync(join(tmpdir(), 'robosre-k8s-'));
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise<void>((r) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          r();
        }, 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          r();
        });
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));
  try {
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    children.push(
      launch(join(bin, 'etcd'), [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ], join(dir, 'etcd.log')),
    );
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const adminToken = `admin-${Math.random().toString(36).slice(2)}`;
    const restrictedToken = `restricted-${Math.random().toString(36).slice(2)}`;
    writeFileSync(join(dir, 'tokens.csv'), `${adminToken},admin,1,"system:masters"\n${restrictedToken},restricted,2,"robosre:restricted"\n`);
    const apiserverArgs = [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        `--etcd-prefix=/robosre-${Date.now()}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'certs')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        '--authorization-mode=RBAC',
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        ...(options.controllerManager ? [] : ['--disable-admission-plugins=ServiceAccount']),
        // Frequent compaction, so a watch resumed after a restart meets 410 Gone and must relist.
        '--etcd-compaction-interval=2s',
    ];
    let apiserver = launch(join(bin, 'kube-apiserver'), apiserverArgs, join(dir, 'apiserver.log'));
    children.push(apiserver);
    const server = `https://127.0.0.1:${apiPort}`;
    const caPath = join(dir, 'certs', 'apiserver.crt');
    const cp = { server, caPath, adminToken };
    const ready = async (): Promise<void> => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const answer = existsSync(caPath) ? await adminGet(cp, '/readyz').catch(() => undefined) : undefined;
        if (answer?.status === 200) return;
        if (children.some((c) => c.exitCode !== null && c !== apiserver) || apiserver.exitCode !== null || Date.now() > deadline) {
          throw new Error(`the control plane did not become ready:\n${tail(join(dir, 'etcd.log'))}\n${tail(join(dir, 'apiserver.log'))}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await ready();
    const restartApiServer = async (): Promise<void> => {
      const exited = new Promise<void>((r) => apiserver.once('exit', () => r()));
      apiserver.kill('SIGKILL');
      await exited;
      apiserver = launch(join(bin, 'kube-apiserver'), apiserverArgs, join(dir, 'apiserver.log'));
      children.push(apiserver);
      await ready();
    };
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfigPath,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{ name: test, cluster: { server: "${server}", certificate-authority: "${caPath}" } }]`,
        `users: [{ name: admin, user: { token: "${adminToken}" } }, { name: restricted, user: { token: "${restrictedToken}" } }]`,
        'contexts: [{ name: admin, context: { cluster: test, user: admin } }, { name: restricted, context: { cluster: test, user: restricted } }]',
        'current-context: admin',
      ].join('\n'),
    );
    if (options.controllerManager) {
      children.push(
        launch(join(bin, 'kube-controller-manager'), [
          `--kubeconfig=${kubeconfigPath}`,
          '--leader-elect=false',
          '--secure-port=0',
          `--service-account-private-key-file=${join(dir, 'sa.key')}`,
          `--root-ca-file=${caPath}`,
          '--controllers=*,-nodelifecycle',
        ], join(dir, 'controller-manager.log')),
      );
    }
    return { server, kubeconfigPath, caPath, adminToken, restrictedToken, dir, restartApiServer, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function tail(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-20).join('\n') : `(no ${path})`;
}
