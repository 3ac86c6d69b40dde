/**
 * `robosre rules list|show|history|export|apply -f|preview -f|test -f|promote|changes|confirm|reject`:
 * the same rules service the API serves, either on the local database (`--config`) or through a
 * running robosre's API (`--url` and `--token`, or ROBOSRE_URL and
 * ROBOSRE_TOKEN), where changes carry the token's person.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { CHAT_CHANNELS } from '../../conversations/channel.js';
import { ENVIRONMENTS } from '../../policies/types.js';
import { loadConfig, ruleDestinations } from '../config/config.js';
import { systemClock } from '../engine/settings.js';
import { RobosreError } from '../errors.js';
import type { PreviewReport } from '../rules/preview.js';
import type { ReplayedIncident, ReplayReport } from '../rules/replay.js';
import { blastRadiusGuards } from '../rules/guards.js';
import { isHeld, RulesService, type HeldChange, type ImportResult, type PendingChange, type RuleEntry, type RuleRevision } from '../rules/service.js';
import { ShadowRules, type ShadowReport } from '../rules/shadow.js';
import { compileRuleSet } from '../../policies/rule-set.js';
import { DEFAULT_TEST_DAYS, RuleTrials } from '../rules/trials.js';
import { invalidRule } from '../rules/validate.js';
import { rulesFromYaml } from '../rules/yaml.js';
import { openStore } from '../store/db.js';
import { stringify } from 'yaml';

/** What the subcommands need, whether the rules are local or behind the API. */
interface RulesBackend {
  list(): Promise<RuleEntry[]>;
  get(id: string): Promise<RuleEntry>;
  history(id: string): Promise<RuleRevision[]>;
  exportYaml(): Promise<string>;
  importYaml(text: string, reason: string): Promise<ImportResult | HeldChange>;
  /** The shadow results of a custom rule, or undefined for a rule that has none to show (built-in, file). */
  shadow(id: string): Promise<ShadowReport | undefined>;
  preview(rule: unknown): Promise<PreviewReport>;
  test(rule: unknown, days: number): Promise<ReplayReport>;
  promote(id: string, version: number, reason: string): Promise<RuleEntry | HeldChange>;
  changes(): Promise<PendingChange[]>;
  confirm(changeId: number, reason: string): Promise<RuleEntry | ImportResult>;
  reject(changeId: number, reason: string): Promise<PendingChange>;
  close(): void;
}

interface Target {
  config?: string;
  url?: string;
  token?: string;
}

function local(configPath: string | undefined): RulesBackend {
  const config = loadConfig(configPath);
  const store = openStore(config.database.path);
  const channels = CHAT_CHANNELS.filter((c) => config.channels[c] !== undefined);
  const destinations = ruleDestinations(config.channels);
  const routing = { routes: config.routing, channels, chats: destinations };
  // The same guards as the API: a change they hold is stored as pending, for a second admin through the API (ADR 0005).
  const guards = blastRadiusGuards({ db: store.db, clock: systemClock, maxMatchShare: config.ruleGuards.maxMatchShare, days: config.ruleGuards.days });
  const service = new RulesService({ db: store.db, fileRules: config.rules, destinations, clock: systemClock, guards });
  const trials = new RuleTrials({ db: store.db, rules: service, routing, clock: systemClock });
  const shadow = new ShadowRules({ db: store.db, rules: service, live: () => compileRuleSet(service.current()), routing, clock: systemClock });
  // Without a token there is no API person: the local change is recorded as the OS user's.
  const by = `cli:${userInfo().username}`;
  return {
    list: () => Promise.resolve(service.list()),
    get: (id) => Promise.resolve(service.get(id)),
    history: (id) => Promise.resolve(service.history(id)),
    exportYaml: () => Promise.resolve(service.exportYaml()),
    importYaml: (text, reason) => Promise.resolve(service.importYaml(text, { by, reason })),
    shadow: (id) => Promise.resolve(service.get(id).layer === 'custom' ? shadow.report(id) : undefined),
    preview: (rule) => Promise.resolve(trials.preview(rule)),
    test: (rule, days) => Promise.resolve(trials.test(rule, days)),
    promote: (ruleId, version, reason) => Promise.resolve(service.promote(ruleId, version, { by, reason })),
    changes: () => Promise.resolve(service.pendingChanges()),
    confirm: (changeId, reason) => Promise.resolve(service.confirm(changeId, { by, reason })),
    reject: (changeId, reason) => Promise.resolve(service.reject(changeId, { by, reason })),
    close: () => store.close(),
  };
}

function remote(url: string, token: string): RulesBackend {
  const base = url.replace(/\/+$/, '');
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
    } catch (cause) {
      throw new RobosreError('remote_error', `cannot reach ${base}: ${(cause as Error).message}`, { url: base }, { cause });
    }
    if (res.ok) return res;
    const text = await res.text();
    let error: { code?: string; message?: string } | undefined;
    try {
      error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    } catch {
      error = undefined;
    }
    throw new RobosreError('remote_error', `${res.status} ${error?.code ?? ''}: ${error?.message ?? text.slice(0, 500)}`, { status: res.status });
  };
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => (await (await call(path, init)).json()) as T;
  const id = (value: string): string => encodeURIComponent(value);
  return {
    list: async () => (await json<{ rules: RuleEntry[] }>('/api/rules')).rules,
    get: (ruleId) => json<RuleEntry>(`/api/rules/${id(ruleId)}`),
    history: async (ruleId) => (await json<{ revisions: RuleRevision[] }>(`/api/rules/${id(ruleId)}/history`)).revisions,
    exportYaml: async () => (await call('/api/rules/export')).text(),
    importYaml: (text, reason) => json<ImportResult | HeldChange>('/api/rules/import', { method: 'POST', body: JSON.stringify({ reason, yaml: text }) }),
    shadow: async (ruleId) => ((await json<RuleEntry>(`/api/rules/${id(ruleId)}`)).layer === 'custom' ? json<ShadowReport>(`/api/rules/${id(ruleId)}/shadow`) : undefined),
    preview: (rule) => json<PreviewReport>('/api/rules/preview', { method: 'POST', body: JSON.stringify({ rule }) }),
    test: (rule, days) => json<ReplayReport>('/api/rules/test', { method: 'POST', body: JSON.stringify({ rule, days }) }),
    promote: (ruleId, version, reason) => json<RuleEntry | HeldChange>(`/api/rules/${id(ruleId)}/promote`, { method: 'POST', body: JSON.stringify({ reason, version }) }),
    changes: async () => (await json<{ changes: PendingChange[] }>('/api/rules/changes')).changes,
    confirm: (changeId, reason) => json<RuleEntry | ImportResult>(`/api/rules/changes/${changeId}/confirm`, { method: 'POST', body: JSON.stringify({ reason }) }),
    reject: async (changeId, reason) => (await json<{ change: PendingChange }>(`/api/rules/changes/${changeId}/reject`, { method: 'POST', body: JSON.stringify({ reason }) })).change,
    close: () => undefined,
  };
}

function backend(target: Target): RulesBackend {
  const url = target.url ?? process.env.ROBOSRE_URL;
  if (url === undefined || url === '') return local(target.config);
  const token = target.token ?? process.env.ROBOSRE_TOKEN;
  if (!token) throw new RobosreError('invalid_request', `--url ${url} needs an API token: --token or ROBOSRE_TOKEN`);
  return remote(url, token);
}

async function using<T>(target: Target, run: (rules: RulesBackend) => Promise<T>): Promise<T> {
  const rules = backend(target);
  try {
    return await run(rules);
  } finally {
    rules.close();
  }
}

const write = (text: string): void => void process.stdout.write(text);

function listLine(e: RuleEntry): string {
  const on = ENVIRONMENTS.filter((env) => e.environments[env]);
  const note = e.overriddenBy ? '  (overridden by custom)' : e.overrides ? '  (overrides file)' : '';
  return `${e.layer.padEnd(8)} ${e.id.padEnd(40)} ${e.rule.incidentType.padEnd(32)} v${String(e.rule.version).padEnd(4)} ${on.length > 0 ? on.join(',') : 'off'}${note}\n`;
}

function historyLines(r: RuleRevision): string {
  const head = `v${r.version}  ${new Date(r.at).toISOString()}  ${r.change}${r.restoredFrom ? ` of v${r.restoredFrom}` : ''} by ${r.by}: ${r.reason}\n`;
  const diff = r.diff.map((d) => `    ${d.path}: ${d.before === undefined ? '(none)' : JSON.stringify(d.before)} → ${d.after === undefined ? '(none)' : JSON.stringify(d.after)}\n`);
  return head + diff.join('');
}

function readFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new RobosreError('invalid_request', `cannot read ${path}: ${(cause as Error).message}`, { path }, { cause });
  }
}

/** The one rule of a rules file (as `rules export` writes): what preview and test take. */
function candidateIn(path: string): unknown {
  const rules = rulesFromYaml(readFile(path));
  if (rules.length !== 1) throw invalidRule([`rules: preview and test take one rule; ${path} has ${rules.length}`]);
  return rules[0];
}

const iso = (ms: number): string => new Date(ms).toISOString();

function previewLines(p: PreviewReport): string {
  const head = `rule ${p.ruleId} (${p.incidentType}) ${p.replaces ? 'replacing the rule of its id' : 'added to the rules in effect'}: ${p.changed} of ${p.rows.length} decisions change\n`;
  const rows = p.rows.map((r) => {
    const line = `${r.changed ? '*' : ' '} ${r.action.padEnd(28)} ${r.environment.padEnd(11)} ${r.today.decision.padEnd(15)} → ${r.candidate.decision}`;
    return r.changed ? `${line}  (${r.candidate.reasons.at(-1) ?? ''})\n` : `${line}\n`;
  });
  return head + rows.join('');
}

function replayedLines(i: ReplayedIncident): string {
  const lines = [`#${i.id} ${i.title}  ${i.link}  ${i.matched ? 'matched' : 'not matched'}${i.changed.length === 0 ? ', nothing changes' : ''}`];
  const suppression = (s: ReplayedIncident['today']['suppression']): string => (s ? `rule ${s.ruleId} until ${iso(s.until)} (${s.label})` : 'none');
  if (i.changed.includes('severity')) lines.push(`    severity: ${i.today.severity} → ${i.candidate.severity}`);
  if (i.changed.includes('route')) lines.push(`    route: ${i.today.route.join(',')} → ${i.candidate.route.join(',')}`);
  if (i.changed.includes('suppression')) lines.push(`    suppression: ${suppression(i.today.suppression)} → ${suppression(i.candidate.suppression)}`);
  i.today.actions.forEach((a, n) => {
    const b = i.candidate.actions[n]!;
    if (a.decision !== b.decision) lines.push(`    action ${a.action} ${a.target}: ${a.decision} → ${b.decision}  (${b.reasons.at(-1) ?? ''})`);
  });
  for (const e of i.errors) lines.push(`    error in ${e.field}: ${e.error}`);
  return `${lines.join('\n')}\n`;
}

function testLines(r: ReplayReport, days: number): string {
  const cap = r.capped ? ` (more than ${r.cap}: only the newest ${r.cap} were replayed)` : '';
  const head = `rule ${r.ruleId} over the last ${days} days (since ${iso(r.since)}): ${r.scanned} incidents replayed${cap}; matched ${r.matched}, changed ${r.changed}, expression errors on ${r.failed}\n`;
  return head + r.incidents.map(replayedLines).join('');
}

function guardLine(g: PendingChange['guards'][number]): string {
  const rule = 'ruleId' in g ? `${String(g.ruleId)}: ` : '';
  return g.kind === 'match_share'
    ? `${rule}match_share: matches ${g.matched} of ${g.total} recent incidents (${Math.round(g.share * 100)}%, limit ${Math.round(g.limit * 100)}%)`
    : `${rule}production_auto_everywhere: makes ${g.actions.join(', ')} automatic in production in every namespace`;
}

/** A held change is not a failure of the command but not done either: exit 3, naming the change and how to confirm it. */
function reportHeld(held: HeldChange): void {
  const c = held.change;
  process.stderr.write(
    `not applied: held as change ${c.id} until ${iso(c.expiresAt)} for a second admin: ${c.guards.map(guardLine).join('; ')}.\n` +
      `Another admin confirms it: robosre rules confirm ${c.id} --reason <text> (POST /api/rules/changes/${c.id}/confirm), or rejects it: robosre rules reject ${c.id} --reason <text>\n`,
  );
  process.exitCode = 3;
}

function changeLines(c: PendingChange): string {
  const head = `change ${c.id}  ${c.kind} ${c.ruleId}  by ${c.requestedBy} at ${iso(c.requestedAt)}, expires ${iso(c.expiresAt)}: ${c.reason}\n`;
  return head + c.guards.map((g) => `    ${guardLine(g)}\n`).join('');
}

/** A held change's id, as the API's `:id`: a positive whole number. */
function changeIdArgument(value: string): number {
  if (/^[1-9][0-9]{0,15}$/.test(value)) return Number(value);
  throw new InvalidArgumentError('a rule change id is a positive whole number (robosre rules changes lists them)');
}

function versionOption(value: string): number {
  if (/^[1-9][0-9]{0,8}$/.test(value)) return Number(value);
  throw new InvalidArgumentError('the version this change edits is a positive whole number (robosre rules show <id> names it)');
}

function withTarget(command: Command): Command {
  return command
    .option('-c, --config <path>', 'YAML or JSON config file (the local database)')
    .option('--url <url>', 'a running robosre (else ROBOSRE_URL); the API is used instead of the local database')
    .option('--token <token>', 'API token for --url (else ROBOSRE_TOKEN); apply, promote, confirm and reject need an admin')
    .exitOverride();
}

/**
 * The `rules` command group.
 * @example robosre rules apply -f rules.yaml --reason "tune staging disk pressure" --url https://robosre --token $T
 */
export function rulesCommand(): Command {
  const list = withTarget(new Command('list').description('every rule: built-in, file and custom, and where each is on'))
    .option('--json', 'print JSON')
    .action((opts: Target & { json?: boolean }) =>
      using(opts, async (rules) => {
        const entries = await rules.list();
        write(opts.json ? `${JSON.stringify({ rules: entries }, null, 2)}\n` : entries.map(listLine).join(''));
      }),
    );
  const show = withTarget(new Command('show').description('one rule in effect (custom, else file, else built-in)'))
    .argument('<id>', 'rule id')
    .option('--json', 'print JSON')
    .action((id: string, opts: Target & { json?: boolean }) =>
      using(opts, async (rules) => {
        const entry = await rules.get(id);
        const shadow = await rules.shadow(id);
        const results = shadow ? { shadow: { mode: shadow.mode, evaluated: shadow.evaluated, divergences: shadow.divergences.length } } : {};
        write(opts.json ? `${JSON.stringify({ ...entry, ...results }, null, 2)}\n` : stringify({ ...entry, ...results }, { lineWidth: 0 }));
      }),
    );
  const history = withTarget(new Command('history').description("a custom rule's revisions, oldest first, with their diffs"))
    .argument('<id>', 'rule id')
    .option('--json', 'print JSON')
    .action((id: string, opts: Target & { json?: boolean }) =>
      using(opts, async (rules) => {
        const revisions = await rules.history(id);
        write(opts.json ? `${JSON.stringify({ revisions }, null, 2)}\n` : revisions.map(historyLines).join(''));
      }),
    );
  const exportCommand = withTarget(new Command('export').description('the custom rules as a rules file (YAML), each at its version')).action((opts: Target) =>
    using(opts, async (rules) => write(await rules.exportYaml())),
  );
  const apply = withTarget(new Command('apply').description('create or update the custom rules of a rules file; all or nothing'))
    .requiredOption('-f, --file <path>', 'rules file (YAML, as `rules export` writes)')
    .requiredOption('--reason <text>', 'why; recorded with every revision')
    .action((opts: Target & { file: string; reason: string }) =>
      using(opts, async (rules) => {
        const result = await rules.importYaml(readFile(opts.file), opts.reason);
        if (isHeld(result)) return reportHeld(result);
        write(`created ${result.created.length}, updated ${result.updated.length}, unchanged ${result.unchanged.length}\n`);
        for (const [what, ids] of Object.entries(result)) for (const ruleId of ids as string[]) write(`  ${what} ${ruleId}\n`);
      }),
    );
  const preview = withTarget(new Command('preview').description("the decision table of the file's one rule for each action of its class in each environment, beside today's; stores nothing"))
    .requiredOption('-f, --file <path>', 'rules file holding one rule')
    .option('--json', 'print JSON')
    .action((opts: Target & { file: string; json?: boolean }) =>
      using(opts, async (rules) => {
        const report = await rules.preview(candidateIn(opts.file));
        write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : previewLines(report));
      }),
    );
  const test = withTarget(new Command('test').description("replays the stored incidents of the last days with and without the file's one rule: what it matches and changes; stores and sends nothing"))
    .requiredOption('-f, --file <path>', 'rules file holding one rule')
    .option('--days <n>', `days of history, 1 to 30 (default ${DEFAULT_TEST_DAYS})`, (v) => Number(v), DEFAULT_TEST_DAYS)
    .option('--json', 'print JSON')
    .action((opts: Target & { file: string; days: number; json?: boolean }) =>
      using(opts, async (rules) => {
        const report = await rules.test(candidateIn(opts.file), opts.days);
        write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : testLines(report, opts.days));
      }),
    );
  const promote = withTarget(new Command('promote').description('makes a shadow rule live, as a new revision, through the blast-radius guards'))
    .argument('<id>', 'rule id')
    .requiredOption('--rule-version <n>', 'the version the promotion edits (the rule\'s current one)', versionOption)
    .requiredOption('--reason <text>', 'why; recorded with the revision')
    .action((ruleId: string, opts: Target & { ruleVersion: number; reason: string }) =>
      using(opts, async (rules) => {
        const result = await rules.promote(ruleId, opts.ruleVersion, opts.reason);
        if (isHeld(result)) return reportHeld(result);
        write(`promoted ${result.id}: live at v${result.rule.version}\n`);
      }),
    );
  const changes = withTarget(new Command('changes').description('the rule changes a blast-radius guard holds for a second admin, newest first'))
    .option('--json', 'print JSON')
    .action((opts: Target & { json?: boolean }) =>
      using(opts, async (rules) => {
        const held = await rules.changes();
        write(opts.json ? `${JSON.stringify({ changes: held }, null, 2)}\n` : held.length === 0 ? 'no held rule changes\n' : held.map(changeLines).join(''));
      }),
    );
  const confirm = withTarget(new Command('confirm').description('a second admin applies a held rule change, validated again as things stand'))
    .argument('<change>', 'held change id (robosre rules changes)', changeIdArgument)
    .requiredOption('--reason <text>', 'why; recorded with the decision')
    .action((changeId: number, opts: Target & { reason: string }) =>
      using(opts, async (rules) => {
        const result = await rules.confirm(changeId, opts.reason);
        if ('created' in result) write(`confirmed change ${changeId}: created ${result.created.length}, updated ${result.updated.length}, unchanged ${result.unchanged.length}\n`);
        else write(`confirmed change ${changeId}: ${result.id} at v${result.rule.version}\n`);
      }),
    );
  const reject = withTarget(new Command('reject').description('closes a held rule change without applying it (the requester may withdraw their own)'))
    .argument('<change>', 'held change id (robosre rules changes)', changeIdArgument)
    .requiredOption('--reason <text>', 'why; recorded with the decision')
    .action((changeId: number, opts: Target & { reason: string }) =>
      using(opts, async (rules) => {
        const change = await rules.reject(changeId, opts.reason);
        write(`rejected change ${change.id}: ${change.kind} ${change.ruleId} by ${change.requestedBy}\n`);
      }),
    );
  return new Command('rules')
    .description('operator rules: list, show, history, export, apply, preview, test, promote, changes, confirm, reject')
    .addCommand(list)
    .addCommand(show)
    .addCommand(history)
    .addCommand(exportCommand)
    .addCommand(apply)
    .addCommand(preview)
    .addCommand(test)
    .addCommand(promote)
    .addCommand(changes)
    .addCommand(confirm)
    .addCommand(reject);
}
