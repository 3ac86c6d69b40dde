/** Wires config into a running engine: store, executor, channels, delivery, logger. The only place that does. */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { RecordingExecutor } from '../adapters/executors/recording-executor.js';
import { KubernetesExecutor } from '../adapters/kubernetes/executor/kubernetes-executor.js';
import { TelegramChannel } from '../adapters/telegram/telegram-channel.js';
import { SlackChannel } from '../adapters/slack/slack-channel.js';
import { WhatsAppChannel, type SessionWindows } from '../adapters/whatsapp/whatsapp-channel.js';
import { ClusterWatcher } from '../adapters/kubernetes/cluster-watcher.js';
import { ProbeRunner } from '../adapters/probes/runner.js';
import { PrometheusClient } from '../adapters/prometheus/client.js';
import { GoldenSignalsRunner } from '../adapters/prometheus/golden-signals-runner.js';
import { PngRenderer } from '../adapters/graphs/png-renderer.js';
import { GraphService } from './graphs/service.js';
import { mediaKey } from './graphs/media-link.js';
import type { ChatChannel, ReplayGuard } from '../conversations/channel.js';
import type { Directory } from '../conversations/people.js';
import { DEFAULT_CHAT } from '../conversations/routing.js';
import { ruleDestinations, type Config } from './config/config.js';
import { compileRuleSet } from '../policies/rule-set.js';
import { ChatCommands } from './delivery/chat-commands.js';
import { Dispatcher } from './delivery/dispatcher.js';
import { ChannelStarter } from './delivery/channel-starter.js';
import { REDACTION_VERSION, redactorFor, type Redactor } from './redaction/redactor.js';
import { reRedactStored } from './store/redaction-migration.js';
import type { DetectorSettings } from './detectors/kubernetes/detect.js';
import { Engine } from './engine/engine.js';
import type { Clock, EngineSettings } from './engine/settings.js';
import { systemClock } from './engine/settings.js';
import { openStore, type Store } from './store/db.js';
import { claimRequest } from './store/handled-requests.repo.js';
import * as kvRepo from './store/kv.repo.js';
import { RulesService } from './rules/service.js';
import { blastRadiusGuards } from './rules/guards.js';
import { ShadowRules } from './rules/shadow.js';
import { CHAT_CHANNELS } from '../conversations/channel.js';
import { perTick } from './engine/signal-burst.js';
import { Analyst } from './analyst/analyst.js';
import { OpenAiChatModel } from '../adapters/ai/openai-chat-model.js';

export interface Runtime {
  config: Config;
  store: Store;
  engine: Engine;
  channels: ChatChannel[];
  /** Telegram and Slack, when configured; their HTTP routes are mounted by the server. */
  telegram: TelegramChannel | null;
  slack: SlackChannel | null;
  whatsapp: WhatsAppChannel | null;
  dispatcher: Dispatcher;
  /** Starts the channels' receiving side in the background and knows how each is doing. */
  starter: ChannelStarter;
  commands: ChatCommands;
  /** The Kubernetes detectors, when `kubernetes` is configured. */
  watcher: ClusterWatcher | null;
  /** The active checks, when `probes` lists any; started and stopped with the watcher. */
  probes: ProbeRunner | null;
  /** The PromQL rules, when `goldenSignals` is configured; started and stopped with the probes. */
  goldenSignals: GoldenSignalsRunner | null;
  logger: Logger;
  clock: Clock;
  /** Masks every configured secret in text that is logged, stored, answered or sent to chat. */
  redactor: Redactor;
  /** Operator rules: the file's and the stored custom ones (docs/rules.md "Rules as data"). */
  rules: RulesService;
  /** Shadow rules judged beside the live ones and what they would have changed. */
  shadow: ShadowRules;
  /** The AI analyst, when `ai` is configured; started and stopped with the detectors (docs/ai.md). */
  analyst: Analyst | null;
  /** Metric graphs in the threads, when `goldenSignals` is configured (docs/graphs.md); started and stopped with the conversations. */
  graphs: GraphService | null;
  /** Signs and checks the public links to graphs (src/graphs/media-link.ts). */
  mediaKey: Buffer;
}

export function engineSettings(config: Config): EngineSettings {
  // Compiled once; the store of rules will hand the engine a new set through the same getter.
  const ruleSet = compileRuleSet(config.rules);
  return {
    environment: config.environment,
    rules: () => ruleSet,
    approvalTtlMs: config.engine.approvalTtl,
    analysisDelayMs: config.engine.analysisDelay,
    stageTimeoutMs: config.engine.stageTimeout,
    executeTimeoutMs: config.engine.executeTimeout,
    paused: config.engine.paused,
    budgets: config.engine.budgets,
    approvals: config.approvals,
    storms: { enabled: config.storms.enabled, windowMs: config.storms.window, groupWaitMs: config.storms.groupWait, minMembers: config.storms.minMembers, nodeShare: config.storms.nodeShare, zoneShare: config.storms.zoneShare, maxUnhealthyNodes: config.storms.maxUnhealthyNodes },
  };
}

export function directory(config: Config): Directory {
  return {
    people: config.people.map(({ name, role, ...ids }) => ({ name, role, identities: ids })),
    channelApprovers: { telegram: config.channels.telegram?.approvers ?? [], slack: config.channels.slack?.approvers ?? [], whatsapp: config.channels.whatsapp?.approvers ?? [] },
  };
}

/** Telegram's published guidance: about one message a second per chat, twenty a minute in a group. */
function telegramInterval(chatId: number | string): number {
  return typeof chatId === 'number' && chatId < 0 ? 3_000 : 1_000;
}

export function createRuntime(config: Config, logger: Logger, clock: Clock = systemClock): Runtime {
  const store = openStore(config.database.path);
  const redactor = redactorFor(config);
  // Before anything reads the store: what earlier versions stored unredacted is redacted once.
  const reRedacted = reRedactStored(store.db, redactor, REDACTION_VERSION, clock.now());
  if (reRedacted) logger.info({ ...reRedacted, version: REDACTION_VERSION }, 'stored incidents, timelines and approvals re-redacted');
  // The watcher is made after the executor and engine that ask it (it feeds the engine); until then nothing is stale.
  let staleView = (): string[] => [];
  const executor =
    config.executor.kind === 'kubernetes'
      ? new KubernetesExecutor({
          ...(config.kubernetes?.kubeconfig ? { kubeconfig: config.kubernetes.kubeconfig } : {}),
          ...(config.kubernetes?.context ? { context: config.kubernetes.context } : {}),
          maxPodsPerRun: config.executor.maxPodsPerRun,
          drainTimeoutMs: config.executor.drainTimeout,
          minHealthyReplicas: config.engine.budgets.minHealthyReplicas,
          rolloutTimeoutMs: config.executor.rolloutTimeout,
          hooks: Object.fromEntries(Object.entries(config.executor.hooks).map(([action, h]) => [action, { namespace: h.namespace, template: h.jobTemplate, timeoutMs: h.timeout }])),
          logger: logger.child({ component: 'executor' }),
          now: () => clock.now(),
          staleView: () => staleView(),
        })
      : new RecordingExecutor({ path: config.executor.journal, failing: config.executor.failing, now: () => clock.now() });
  // The channels configured, known before they are built: shadow mode's replay routes with them.
  const destinations = ruleDestinations(config.channels);
  const routing = { routes: config.routing, channels: CHAT_CHANNELS.filter((name) => config.channels[name]), chats: destinations };
  const guards = blastRadiusGuards({ db: store.db, clock, maxMatchShare: config.ruleGuards.maxMatchShare, days: config.ruleGuards.days });
  const rules = new RulesService({ db: store.db, fileRules: config.rules, destinations, clock, guards });
  // Compiled once per change. The engine asks at every step, and asking looks for a change made
  // elsewhere (the CLI on the same database), so a saved rule takes effect at the next step.
  let ruleSet = compileRuleSet(rules.current());
  rules.onChange((next) => (ruleSet = compileRuleSet(next)));
  const live = () => {
    rules.refresh();
    return ruleSet;
  };
  const shadow = new ShadowRules({ db: store.db, rules, live, routing, clock });
  const settings: EngineSettings = {
    ...engineSettings(config),
    rules: live,
    shadow,
  };
  const engine = new Engine({ store, executor, settings, clock, logger, staleView: () => staleView(), redactor });
  const replays = replayGuard(store, clock);
  const tg = config.channels.telegram;
  const telegram = tg
    ? new TelegramChannel({
        botToken: tg.botToken,
        chats: { [DEFAULT_CHAT]: tg.chatId, ...tg.chats },
        apiRoot: tg.apiRoot,
        mode: tg.mode,
        topics: tg.topics,
        // One pace for the channel: the strictest of its chats'.
        minIntervalMs: tg.minInterval ?? Math.max(...[tg.chatId, ...Object.values(tg.chats)].map(telegramInterval)),
        timeoutMs: config.delivery.requestTimeout,
        logger: logger.child({ channel: 'telegram' }),
        replays,
        ...(tg.webhookSecret ? { webhookSecret: tg.webhookSecret } : {}),
        ...(config.server.publicUrl ? { webhookUrl: `${config.server.publicUrl.replace(/\/$/, '')}/telegram/webhook` } : {}),
      })
    : null;
  const sl = config.channels.slack;
  const slack = sl
    ? new SlackChannel({
        botToken: sl.botToken,
        signingSecret: sl.signingSecret,
        teamId: sl.teamId,
        chats: { [DEFAULT_CHAT]: sl.channel, ...sl.chats },
        apiUrl: sl.apiUrl,
        socketMode: sl.socketMode,
        minIntervalMs: sl.minInterval ?? 1_000,
        timeoutMs: config.delivery.requestTimeout,
        logger: logger.child({ channel: 'slack' }),
        replays,
        ...(sl.appToken ? { appToken: sl.appToken } : {}),
      })
    : null;
  const wa = config.channels.whatsapp;
  const whatsapp = wa
    ? new WhatsAppChannel({
        accountSid: wa.accountSid,
        authToken: wa.authToken,
        from: wa.from,
        chats: { [DEFAULT_CHAT]: wa.recipients, ...wa.chats },
        knownNumbers: [...new Set([...[wa.recipients, ...Object.values(wa.chats)].flat().map((r) => r.number), ...wa.approvers, ...config.people.flatMap((p) => (p.whatsapp ? [p.whatsapp] : []))])],
        templates: wa.templates,
        publicUrl: config.server.publicUrl!.replace(/\/$/, ''),
        windows: sessionWindows(store, clock),
        minIntervalMs: wa.minInterval ?? 1_000,
        logger: logger.child({ channel: 'whatsapp' }),
        replays,
        ...(wa.apiBaseUrl ? { apiBaseUrl: wa.apiBaseUrl } : {}),
      })
    : null;
  const channels: ChatChannel[] = [telegram, slack, whatsapp].filter((c): c is TelegramChannel | SlackChannel | WhatsAppChannel => c !== null);
  const buttonKey = buttonSigningKey(store, clock);
  const dispatcher = new Dispatcher({
    store,
    engine,
    channels,
    routes: config.routing,
    rules: settings.rules,
    cluster: config.cluster.name,
    clock,
    logger: logger.child({ component: 'delivery' }),
    failoverAfterMs: config.delivery.failoverAfter,
    probeIntervalMs: config.delivery.probeInterval,
    buttonKey,
    redact: redactor.text,
    ...(config.server.publicUrl ? { publicUrl: config.server.publicUrl } : {}),
  });
  const commands = new ChatCommands({
    db: store.db,
    engine,
    directory: directory(config),
    buttonKey,
    clock,
    logger: logger.child({ component: 'chat' }),
    ...(config.server.publicUrl ? { publicUrl: config.server.publicUrl } : {}),
  });
  // Whatever the detectors emit in one tick is ingested as one batch.
  const detected = perTick((signals) => engine.ingestBatch(signals), logger.child({ component: 'intake' }));
  const kube = config.kubernetes;
  const watcher = kube
    ? new ClusterWatcher({
        namespaces: kube.namespaces,
        ...(kube.labelSelector ? { labelSelector: kube.labelSelector } : {}),
        includeNormalEvents: kube.includeNormalEvents,
        helmReleases: kube.helmReleases,
        cluster: config.cluster.name,
        settings: detectorSettings(kube),
        onSignal: detected,
        onEvidence: (subject, incidentType, evidence) => void engine.addEvidence(subject, incidentType, evidence),
        logger: logger.child({ component: 'kubernetes' }),
        now: () => clock.now(),
        ...(kube.kubeconfig ? { kubeconfig: kube.kubeconfig } : {}),
        ...(kube.context ? { context: kube.context } : {}),
      })
    : null;
  if (watcher) staleView = () => watcher.staleView();
  const probes = config.probes.length
    ? new ProbeRunner({
        probes: config.probes,
        cluster: config.cluster.name,
        onSignal: detected,
        logger: logger.child({ component: 'probes' }),
        ...(watcher ? { corroborate: (target: string) => watcher.workloadPods(target) } : {}),
        now: () => clock.now(),
      })
    : null;
  const golden = config.goldenSignals;
  const prometheus = golden ? new PrometheusClient(golden.prometheus) : null;
  const goldenSignals = golden && prometheus
    ? new GoldenSignalsRunner({
        client: prometheus,
        rules: golden.rules,
        cluster: config.cluster.name,
        onSignal: detected,
        onEvidence: (subject, incidentType, evidence) => void engine.addEvidence(subject, incidentType, evidence),
        logger: logger.child({ component: 'golden-signals' }),
        now: () => clock.now(),
      })
    : null;
  const ai = config.ai;
  const analyst = ai
    ? new Analyst({
        db: store.db,
        engine,
        model: new OpenAiChatModel({ baseUrl: ai.baseUrl, ...(ai.apiKey ? { apiKey: ai.apiKey } : {}), model: ai.model, timeoutMs: ai.timeout, maxRetries: ai.maxRetries, stream: ai.stream }),
        limits: { maxSteps: ai.maxToolSteps, maxWallTimeMs: ai.maxWallTime, maxTokensPerIncident: ai.maxTokensPerIncident, maxTokensPerHour: ai.maxTokensPerHour, maxToolResultTokens: ai.maxToolResultTokens, maxAnswerTokens: ai.maxAnswerTokens },
        environment: config.environment,
        rules: live,
        secrets: config.secrets,
        probeTimeoutMs: ai.timeout,
        clock,
        logger: logger.child({ component: 'analyst' }),
        ...(watcher ? { cache: watcher, logs: watcher } : {}),
        ...(prometheus ? { metrics: prometheus } : {}),
      })
    : null;
  const graphs =
    golden?.graphs.enabled && prometheus
      ? new GraphService({
          db: store.db,
          engine,
          source: prometheus,
          // One worker that collects every 8 renders: resvg-js 2.6's native memory is otherwise rarely freed (docs/graphs.md).
          renderer: new PngRenderer({ timeoutMs: golden.graphs.renderTimeoutMs, collectEvery: 8, recycleAfter: 1_000, scale: 2 }),
          clock,
          logger: logger.child({ component: 'graphs' }),
        })
      : null;
  const starter = new ChannelStarter({ channels, inbound: commands, receipts: dispatcher, clock, logger: logger.child({ component: 'channels' }), redact: redactor.text });
  return { config, store, engine, channels, telegram, slack, whatsapp, dispatcher, starter, commands, watcher, probes, goldenSignals, logger, clock, redactor, rules, shadow, analyst, graphs, mediaKey: mediaKey(buttonKey) };
}

/** When each WhatsApp number last wrote, kept in the store so the 24-hour window survives restarts. */
function sessionWindows(store: Store, clock: Clock): SessionWindows {
  return {
    lastInbound: (number) => kvRepo.get<number>(store.db, `whatsapp_window:${number}`),
    touch: (number, at) => kvRepo.put(store.db, `whatsapp_window:${number}`, at, clock.now()),
  };
}

/** Webhook requests already handled, remembered in the store so a restart does not forget them. */
function replayGuard(store: Store, clock: Clock): ReplayGuard {
  return {
    firstSeen: (key, rememberMs) => {
      const now = clock.now();
      return claimRequest(store.db, key, now, now + rememberMs);
    },
  };
}

/** Buttons issued before a restart must still verify: the key lives in the store, created once. */
function buttonSigningKey(store: Store, clock: Clock): Buffer {
  const stored = kvRepo.get<string>(store.db, 'button_signing_key');
  if (stored) return Buffer.from(stored, 'base64');
  const key = randomBytes(32);
  kvRepo.put(store.db, 'button_signing_key', key.toString('base64'), clock.now());
  return key;
}

/**
 * Starts delivery and the channels' inbound side. Resolves once every channel
 * has made its first (bounded) attempt; one that cannot start keeps being
 * retried in the background, and delivery fails its conversations over.
 */
export async function startConversations(runtime: Runtime): Promise<void> {
  runtime.dispatcher.start();
  runtime.graphs?.start();
  await runtime.starter.start();
}

export async function stopConversations(runtime: Runtime): Promise<void> {
  await runtime.graphs?.stop();
  await runtime.starter.stop();
  await runtime.dispatcher.stop();
}

/** The detectors' thresholds, from the config's `kubernetes` section. */
function detectorSettings(kube: NonNullable<Config['kubernetes']>): DetectorSettings {
  return {
    pendingAfterMs: kube.pendingAfter,
    heartbeatStaleMs: kube.heartbeatStale,
    notReadyAfterMs: kube.notReadyAfter,
    replicasMismatchAfterMs: kube.replicasMismatchAfter,
    diskPressureCriticalAfterMs: kube.diskPressureCriticalAfter,
    evictionQuietMs: kube.evictionQuiet,
    evictionBurst: kube.evictionBurst,
    finishedPodsThreshold: kube.finishedPodsThreshold,
    noisyCronJobFailures: kube.noisyCronJobFailures,
    releasePendingAfterMs: kube.releasePendingAfter,
    watchFailingAfterMs: kube.watchFailingAfter,
    watchSilentAfterMs: kube.watchSilentAfter,
    coreWorkloads: kube.coreWorkloads,
  };
}
