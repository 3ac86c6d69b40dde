/**
 * `robosre rules list|show|history|export|apply -f`: the same rules service
 * the API serves, either on the local database (`--config`) or through a
 * running robosre's API (`--url` and `--token`, or ROBOSRE_URL and
 * ROBOSRE_TOKEN), where changes carry the token's person.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Command } from 'commander';
import { ENVIRONMENTS } from '../../policies/types.js';
import { loadConfig } from '../config/config.js';
import { systemClock } from '../engine/settings.js';
import { RobosreError } from '../errors.js';
import { RulesService, type ImportResult, type RuleEntry, type RuleRevision } from '../rules/service.js';
import { openStore } from '../store/db.js';
import { stringify } from 'yaml';

/** What the subcommands need, whether the rules are local or behind the API. */
interface RulesBackend {
  list(): Promise<RuleEntry[]>;
  get(id: string): Promise<RuleEntry>;
  history(id: string): Promise<RuleRevision[]>;
  exportYaml(): Promise<string>;
  importYaml(text: string, reason: string): Promise<ImportResult>;
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
  const service = new RulesService({ db: store.db, fileRules: config.rules, clock: systemClock });
  // Without a token there is no API person: the local change is recorded as the OS user's.
  const by = `cli:${userInfo().username}`;
  return {
    list: () => Promise.resolve(service.list()),
    get: (id) => Promise.resolve(service.get(id)),
    history: (id) => Promise.resolve(service.history(id)),
    exportYaml: () => Promise.resolve(service.exportYaml()),
    importYaml: (text, reason) => Promise.resolve(service.importYaml(text, { by, reason })),
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
    importYaml: (text, reason) => json<ImportResult>('/api/rules/import', { method: 'POST', body: JSON.stringify({ reason, yaml: text }) }),
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

function withTarget(command: Command): Command {
  return command
    .option('-c, --config <path>', 'YAML or JSON config file (the local database)')
    .option('--url <url>', 'a running robosre (else ROBOSRE_URL); the API is used instead of the local database')
    .option('--token <token>', 'API token for --url (else ROBOSRE_TOKEN); apply needs an admin')
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
        write(opts.json ? `${JSON.stringify(entry, null, 2)}\n` : stringify(entry, { lineWidth: 0 }));
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
        let text: string;
        try {
          text = readFileSync(opts.file, 'utf8');
        } catch (cause) {
          throw new RobosreError('invalid_request', `cannot read ${opts.file}: ${(cause as Error).message}`, { path: opts.file }, { cause });
        }
        const result = await rules.importYaml(text, opts.reason);
        write(`created ${result.created.length}, updated ${result.updated.length}, unchanged ${result.unchanged.length}\n`);
        for (const [what, ids] of Object.entries(result)) for (const ruleId of ids as string[]) write(`  ${what} ${ruleId}\n`);
      }),
    );
  return new Command('rules').description('operator rules: list, show, history, export, apply').addCommand(list).addCommand(show).addCommand(history).addCommand(exportCommand).addCommand(apply);
}
