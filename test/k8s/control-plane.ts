/**
 * A real Kubernetes control plane for tests: etcd and kube-apiserver (and,
 * when asked, kube-controller-manager and kube-scheduler) built from their Go
 * modules by scripts/k8s/build.sh, started on loopback with RBAC on, an admin
 * token and a restricted one. There is no kubelet: tests write Node and Pod
 * status through the status subresource, as the kubelet would, or let kwok do
 * it (test/k8s/kwok-cluster.ts).
 *
 * Not a vitest global setup on purpose: only the test files that import this
 * pay for a control plane. See docs/k8s-test-cluster.md.
 */
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, launch, running, tail, terminate } from './processes.js';

export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  server: string;
  /** A kubeconfig with contexts `admin` (system:masters, the current one) and `restricted` (no roles). */
  kubeconfigPath: string;
  /** The API server's self-signed serving certificate, which is its own CA. */
  caPath: string;
  adminToken: string;
  restrictedToken: string;
  /** The temp directory holding data, certificates, the kubeconfig and the logs (etcd.log, apiserver.log, controller-manager.log, scheduler.log). */
  dir: string;
  /** Stops kube-apiserver and starts it again on the same port and etcd, as an upgrade or crash would. */
  restartApiServer(): Promise<void>;
  /** Kills kube-apiserver (SIGKILL) and leaves it down: connections are refused until `startApiServer`. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again after `stopApiServer`, on the same port and etcd, and waits for /readyz. */
  startApiServer(): Promise<void>;
  /** Freezes kube-apiserver (SIGSTOP): connections stay open and nothing arrives on them, as with a hung server or a half-open network path. */
  pauseApiServer(): void;
  /** Lets a paused kube-apiserver run again (SIGCONT). */
  resumeApiServer(): void;
  /** Stops every process and removes the temp directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /**
   * Also run kube-controller-manager (Deployments → ReplicaSets → Pods, garbage
   * collection, namespace deletion, service-account tokens). Off by default:
   * then the ServiceAccount admission plugin is off too, since nothing would
   * create the `default` service accounts pods need.
   */
  controllerManager?: boolean;
  /**
   * Run kube-controller-manager (implies `controllerManager`) with its node
   * lifecycle controller, which marks nodes whose heartbeats stop Ready=Unknown,
   * taints them and so evicts their pods. Only for nodes something heartbeats
   * for (kwok, test/k8s/kwok-cluster.ts): without it the controller is off, as
   * it would taint and evict every node a test writes by hand.
   */
  nodeLifecycle?: NodeLifecycleOptions;
  /** Also run kube-scheduler, which binds pods to nodes. */
  scheduler?: boolean;
  /**
   * An audit policy (YAML, `audit.k8s.io/v1` Policy): kube-apiserver then logs
   * what it selects, one JSON line per request stage, to `audit.log` in `dir`.
   * The API server's own count of who asked what (benchmarks).
   */
  auditPolicy?: string;
  /**
   * `--kube-api-qps` (burst twice that) of kube-controller-manager and
   * kube-scheduler; their default 20 / 50 makes creating thousands of pods
   * take minutes (benchmarks at scale).
   */
  kubeApiQps?: number;
}

export interface NodeLifecycleOptions {
  /** `--node-monitor-grace-period`: a node whose lease and status went unrenewed this long becomes Ready=Unknown. */
  gracePeriodSeconds: number;
  /** `--node-eviction-rate`: nodes per second and zone that get the NoExecute taint (Kubernetes' default 0.1). */
  evictionRate?: number;
}

const ROOT = resolve(import.meta.dirname, '../..');
const READY_TIMEOUT_MS = 90_000;

/** The versions build.sh builds, from scripts/k8s/versions.env. */
export function versions(): { kubernetes: string; etcd: string; kwok: string } {
  const env = Object.fromEntries(
    readFileSync(join(ROOT, 'scripts/k8s/versions.env'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => l.trim().split('=') as [string, string]),
  );
  if (!env.K8S_VERSION || !env.ETCD_VERSION || !env.KWOK_VERSION) {
    throw new Error('scripts/k8s/versions.env must set K8S_VERSION, ETCD_VERSION and KWOK_VERSION');
  }
  return { kubernetes: env.K8S_VERSION, etcd: env.ETCD_VERSION, kwok: env.KWOK_VERSION };
}

function builtDir(name: string, what: string): string {
  const cache = process.env.ROBOSRE_K8S_CACHE ?? join(homedir(), '.cache/robosre/k8s');
  const dir = join(cache, name);
  if (!existsSync(join(dir, '.complete'))) {
    throw new Error(
      `${what} is not built: no ${join(dir, '.complete')}. ` +
        'Run scripts/k8s/build.sh (needs Go 1.24+; a cold build takes 5-15 minutes on 2 cores, later runs reuse the cache).',
    );
  }
  return dir;
}

/** Where build.sh puts etcd, kube-apiserver and kube-controller-manager; throws, saying to run build.sh, when they are not built. */
export function binariesDir(): string {
  const v = versions();
  return builtDir(`k8s-${v.kubernetes}-etcd-${v.etcd}`, `the test Kubernetes control plane (kube-apiserver ${v.kubernetes}, etcd ${v.etcd})`);
}

/** Where build.sh puts kube-scheduler and kwok; throws, saying to run build.sh, when they are not built. */
export function kwokBinariesDir(): string {
  const v = versions();
  return builtDir(`scheduler-${v.kubernetes}-kwok-${v.kwok}`, `the kwok test cluster (kube-scheduler ${v.kubernetes}, kwok ${v.kwok})`);
}

/** GET over a self-signed serving certificate (`ca`), with a bearer token when given. */
function httpsGet(url: string, ca: string, bearer?: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(url, { ca: readFileSync(ca), headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', fail);
    req.end();
  });
}

/** GET with the admin token over the self-signed serving certificate. */
export function adminGet(cp: Pick<ControlPlane, 'server' | 'caPath' | 'adminToken'>, path: string): Promise<{ status: number; body: string }> {
  return httpsGet(`${cp.server}${path}`, cp.caPath, cp.adminToken);
}

const token = (): string => randomBytes(24).toString('hex');

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bin = binariesDir();
  const schedulerBin = options.scheduler ? join(kwokBinariesDir(), 'kube-scheduler') : undefined;
  const controllerManager = options.controllerManager === true || options.nodeLifecycle !== undefined;
  const dir = mkdtempSync(join(tmpdir(), 'robosre-k8s-'));
  const logs = {
    etcd: join(dir, 'etcd.log'),
    apiserver: join(dir, 'apiserver.log'),
    controllerManager: join(dir, 'controller-manager.log'),
    scheduler: join(dir, 'scheduler.log'),
  };
  const procs: { etcd?: ChildProcess; apiserver?: ChildProcess; controllerManager?: ChildProcess; scheduler?: ChildProcess } = {};
  const failure = (what: string): Error =>
    new Error(
      [
        `test control plane: ${what} (logs in ${dir})`,
        `--- etcd.log (last lines)\n${tail(logs.etcd)}`,
        `--- apiserver.log (last lines)\n${tail(logs.apiserver)}`,
        ...(controllerManager ? [`--- controller-manager.log (last lines)\n${tail(logs.controllerManager)}`] : []),
        ...(schedulerBin ? [`--- scheduler.log (last lines)\n${tail(logs.scheduler)}`] : []),
      ].join('\n'),
    );
  const stopProcesses = async (): Promise<void> => {
    await terminate(procs.scheduler);
    await terminate(procs.controllerManager);
    await terminate(procs.apiserver);
    await terminate(procs.etcd);
  };
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopProcesses();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    procs.etcd = launch(
      join(bin, 'etcd'),
      [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      logs.etcd,
    );

    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const saKey = join(dir, 'sa.key');
    const saPub = join(dir, 'sa.pub');
    writeFileSync(saKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(saPub, publicKey.export({ type: 'spki', format: 'pem' }));
    const adminToken = token();
    const restrictedToken = token();
    const tokens = join(dir, 'tokens.csv');
    // token,user,uid,"group1,group2"
    writeFileSync(tokens, `${adminToken},admin,admin-uid,"system:masters"\n${restrictedToken},restricted,restricted-uid,"robosre:restricted"\n`, { mode: 0o600 });
    const certDir = join(dir, 'certs');
    mkdirSync(certDir);
    const audit: string[] = [];
    if (options.auditPolicy !== undefined) {
      writeFileSync(join(dir, 'audit-policy.yaml'), options.auditPolicy);
      audit.push(`--audit-policy-file=${join(dir, 'audit-policy.yaml')}`, `--audit-log-path=${join(dir, 'audit.log')}`);
    }
    const qps = options.kubeApiQps === undefined ? [] : [`--kube-api-qps=${options.kubeApiQps}`, `--kube-api-burst=${options.kubeApiQps * 2}`];

    const apiserverArgs = [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      `--etcd-prefix=/robosre-${randomBytes(4).toString('hex')}`,
      '--bind-address=127.0.0.1',
      // No default route here: the server cannot derive an advertise address by itself.
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      // kube-apiserver writes a self-signed apiserver.crt/.key here.
      `--cert-dir=${certDir}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--authorization-mode=RBAC',
      `--token-auth-file=${tokens}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      ...(controllerManager ? [] : ['--disable-admission-plugins=ServiceAccount']),
      // Frequent compaction, so a watch resumed after a restart meets 410 Gone and must relist.
      '--etcd-compaction-interval=2s',
      ...audit,
    ];
    procs.apiserver = launch(join(bin, 'kube-apiserver'), apiserverArgs, logs.apiserver);
    const server = `https://127.0.0.1:${apiPort}`;
    const caPath = join(certDir, 'apiserver.crt');
    const access = { server, caPath, adminToken };

    const waitFor = async (what: string, check: () => Promise<boolean>, watched: (keyof typeof procs)[]): Promise<void> => {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        if (await check().catch(() => false)) return;
        const dead = watched.find((k) => !running(procs[k]));
        if (dead) throw failure(`${dead} exited (${procs[dead]?.exitCode ?? procs[dead]?.signalCode}) before ${what}`);
        if (Date.now() > deadline) throw failure(`no ${what} after ${READY_TIMEOUT_MS / 1000}s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const apiReady = (): Promise<void> =>
      waitFor('/readyz answered 200', async () => existsSync(caPath) && (await adminGet(access, '/readyz')).status === 200, ['etcd', 'apiserver']);
    await apiReady();

    const kubeconfigPath = join(dir, 'kubeconfig');
    // JSON is YAML: no quoting surprises.
    writeFileSync(
      kubeconfigPath,
      JSON.stringify(
        {
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'test', cluster: { server, 'certificate-authority': caPath } }],
          users: [
            { name: 'admin', user: { token: adminToken } },
            { name: 'restricted', user: { token: restrictedToken } },
          ],
          contexts: [
            { name: 'admin', context: { cluster: 'test', user: 'admin' } },
            { name: 'restricted', context: { cluster: 'test', user: 'restricted' } },
          ],
          'current-context': 'admin',
        },
        null,
        2,
      ),
      { mode: 0o600 },
    );

    if (controllerManager) {
      const lifecycle = options.nodeLifecycle;
      procs.controllerManager = launch(
        join(bin, 'kube-controller-manager'),
        [
          `--kubeconfig=${kubeconfigPath}`,
          '--leader-elect=false',
          '--secure-port=0',
          `--service-account-private-key-file=${saKey}`,
          `--root-ca-file=${caPath}`,
          ...qps,
          ...(lifecycle
            ? [
                `--node-monitor-grace-period=${lifecycle.gracePeriodSeconds}s`,
                ...(lifecycle.evictionRate === undefined ? [] : [`--node-eviction-rate=${lifecycle.evictionRate}`]),
              ]
            : // No kubelet heartbeats: node lifecycle would taint and evict every simulated node.
              ['--controllers=*,-nodelifecycle']),
        ],
        logs.controllerManager,
      );
      // Its service-account controller creating default/default shows it is up and
      // that pods can be admitted (the ServiceAccount admission plugin is on).
      await waitFor(
        'default/default service account from kube-controller-manager',
        async () => (await adminGet(access, '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
        ['etcd', 'apiserver', 'controllerManager'],
      );
    }

    if (schedulerBin) {
      const port = await freePort();
      const certDir = join(dir, 'scheduler-certs');
      procs.scheduler = launch(
        schedulerBin,
        // No --authentication-kubeconfig: requests are anonymous, and /readyz is always allowed.
        [`--kubeconfig=${kubeconfigPath}`, '--leader-elect=false', '--bind-address=127.0.0.1', `--secure-port=${port}`, `--cert-dir=${certDir}`, ...qps],
        logs.scheduler,
      );
      // Its /readyz includes its informers' sync: from then on a pod is scheduled.
      const cert = join(certDir, 'kube-scheduler.crt');
      await waitFor(
        'kube-scheduler /readyz answered 200',
        async () => existsSync(cert) && (await httpsGet(`https://127.0.0.1:${port}/readyz`, cert)).status === 200,
        ['etcd', 'apiserver', 'scheduler'],
      );
    }

    const stopApiServer = async (): Promise<void> => {
      await terminate(procs.apiserver, 'SIGKILL');
    };
    const startApiServer = async (): Promise<void> => {
      procs.apiserver = launch(join(bin, 'kube-apiserver'), apiserverArgs, logs.apiserver);
      await apiReady();
    };
    const restartApiServer = async (): Promise<void> => {
      await stopApiServer();
      await startApiServer();
    };
    const pauseApiServer = (): void => void procs.apiserver?.kill('SIGSTOP');
    const resumeApiServer = (): void => void procs.apiserver?.kill('SIGCONT');
    return { server, kubeconfigPath, caPath, adminToken, restrictedToken, dir, restartApiServer, stopApiServer, startApiServer, pauseApiServer, resumeApiServer, stop };
  } catch (error) {
    // Keep the directory: its logs are what tells why.
    await stopProcesses();
    throw error;
  }
}

/** Pod log requests the API server has served, from its own metrics (`apiserver_request_total`). */
export async function podLogReads(cp: Pick<ControlPlane, 'server' | 'caPath' | 'adminToken'>): Promise<number> {
  let total = 0;
  for (const line of (await adminGet(cp, '/metrics')).body.split('\n')) {
    if (line.startsWith('apiserver_request_total{') && line.includes('resource="pods"') && line.includes('subresource="log"')) total += Number(line.split(' ').pop());
  }
  return total;
}
