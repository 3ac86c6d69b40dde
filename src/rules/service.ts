/**
 * Operator rules as data: the built-in and file layers (read-only) and the
 * custom rules stored with immutable revisions and optimistic locking. The
 * API, the CLI and the engine all go through this one service
 * (docs/rules.md "Rules as data"; docs/adr/0003-rule-layers-and-revisions.md).
 *
 * Overrides: a custom rule replaces the file rule with the same id (a disabled
 * custom rule so disables it); built-ins always apply, and custom or file
 * rules of the same incident type tune them through the policy's resolution.
 */
import { ENVIRONMENTS, type Environment, type OperatorRule } from '../../policies/types.js';
import type { Clock } from '../engine/settings.js';
import { RobosreError } from '../errors.js';
import type { Db } from '../store/db.js';
import * as guardsRepo from '../store/rule-guards.repo.js';
import * as repo from '../store/rules.repo.js';
import { diffRules } from './diff.js';
import type { GuardTrip, RuleGuard } from './guards.js';
import { BUILTIN_PREFIX, builtInRules, findBuiltIn, type Layer } from './layers.js';
import type { RuleDestinations } from './destinations.js';
import { invalidRule, reasonSchema, validateRule } from './validate.js';
import { rulesFromYaml, rulesToYaml } from './yaml.js';

/** Who makes a change and why; `by` is the API token's person (or the CLI's user). */
export interface RuleChangeBy {
  by: string;
  reason: string;
}

/** A change as its revision records it: `confirmedBy` only when a second admin confirmed a held change. */
type Recorded = RuleChangeBy & { confirmedBy?: string };

/** A change held by a blast-radius guard until a second admin confirms it (docs/rules.md "Blast-radius guards"). */
export interface PendingChange {
  id: number;
  ruleId: string;
  kind: repo.RuleChange;
  requestedBy: string;
  requestedAt: number;
  reason: string;
  expiresAt: number;
  guards: GuardTrip[];
}

export interface HeldChange {
  status: 'confirmation_required';
  change: PendingChange;
}

/** A held change waits this long for a second admin. */
export const PENDING_CHANGE_TTL_MS = 24 * 3_600_000;

export const isHeld = (result: unknown): result is HeldChange => typeof result === 'object' && result !== null && (result as { status?: unknown }).status === 'confirmation_required';

/** The arguments of a guarded change, stored with it and replayed on confirmation. */
type GuardedRequest =
  | { kind: 'create'; rule: unknown }
  | { kind: 'update'; id: string; rule: unknown }
  | { kind: 'enable'; id: string; environment: Environment; version: number }
  | { kind: 'restore'; id: string; revision: number; version: number }
  | { kind: 'promote'; id: string; version: number }
  | { kind: 'import'; yaml: string };

export interface RuleEntry {
  id: string;
  layer: Layer;
  /** Built-in and file rules change only by cloning them into a custom rule. */
  readOnly: boolean;
  rule: OperatorRule;
  /** Where the rule takes effect now. */
  environments: Record<Environment, boolean>;
  /** A file rule replaced by the custom rule with its id. */
  overriddenBy?: 'custom';
  /** A custom rule that replaces the file rule with its id. */
  overrides?: 'file';
  /** For a built-in: the effective rules of its incident type, which tune it. */
  tunedBy?: string[];
  updatedAt?: number;
  updatedBy?: string;
}

/** A stored revision, as the history shows it. */
export type RuleRevision = Omit<repo.NewRevision, 'ruleId'>;

export interface ImportResult {
  created: string[];
  updated: string[];
  unchanged: string[];
}

export interface RulesServiceOptions {
  db: Db;
  /** The config file's rules, already validated by the config parser. */
  fileRules: readonly OperatorRule[];
  /** The chat channels and chats the config has: a stored rule may route only to these. */
  destinations: RuleDestinations;
  clock: Clock;
  /** Blast-radius guards; without them every valid change applies at once. */
  guards?: RuleGuard;
}

const NOWHERE: Record<Environment, boolean> = { demo: false, staging: false, production: false };

function environmentsOf(rule: OperatorRule): Record<Environment, boolean> {
  return Object.fromEntries(ENVIRONMENTS.map((e) => [e, rule.enabled && rule.environmentScope.includes(e)])) as Record<Environment, boolean>;
}

/** The rule without its version, for "did anything change". */
function content(rule: OperatorRule): Record<string, unknown> {
  return Object.fromEntries(Object.entries(rule).filter(([key]) => key !== 'version'));
}

function revisionView(row: repo.RuleRevisionRow): RuleRevision {
  return {
    version: row.version,
    change: row.change as repo.RuleChange,
    rule: row.rule,
    diff: row.diff,
    reason: row.reason,
    by: row.by,
    at: row.at,
    ...(row.restoredFrom !== null ? { restoredFrom: row.restoredFrom } : {}),
    ...(row.confirmedBy !== null ? { confirmedBy: row.confirmedBy } : {}),
  };
}

function pendingView(row: guardsRepo.PendingChangeRow): PendingChange {
  return {
    id: row.id,
    ruleId: row.ruleId,
    kind: row.kind as repo.RuleChange,
    requestedBy: row.requestedBy,
    requestedAt: row.requestedAt,
    reason: row.reason,
    expiresAt: row.expiresAt,
    guards: row.guards as GuardTrip[],
  };
}

function stale(id: string, current: number, edits: number): RobosreError {
  return new RobosreError('rule_conflict', `rule ${id} is at version ${current}, this change edits version ${edits}: reload it and apply the change again`, { id, currentVersion: current });
}

export class RulesService {
  private readonly db: Db;
  private readonly fileRules: readonly OperatorRule[];
  private readonly clock: Clock;
  readonly destinations: RuleDestinations;
  private readonly guards: RuleGuard | undefined;
  private readonly listeners = new Set<(rules: OperatorRule[]) => void>();
  private cached: { marker: number; rules: readonly OperatorRule[]; shadow: readonly OperatorRule[] } | undefined;
  /**
   * Set only while confirm() replays a held change inside its transaction: the second admin, whom the
   * revision records, and the reason the guards are not asked again. Never taken from a caller's input.
   */
  private confirming: string | undefined;

  constructor(options: RulesServiceOptions) {
    this.db = options.db;
    this.fileRules = options.fileRules;
    this.clock = options.clock;
    this.destinations = options.destinations;
    this.guards = options.guards;
  }

  /**
   * The operator rules in effect: file rules not overridden, then the custom
   * rules, in id order. Re-read when any revision was written since the last
   * look (another process too: the CLI against the local database).
   */
  current(): OperatorRule[] {
    // A copy: the caller may keep or change it without touching the cache.
    return [...this.effective()];
  }

  /** Looks for a change made elsewhere (another connection to the database) and tells the listeners. */
  refresh(): void {
    this.effective();
  }

  /** The custom rules saved as `shadow`: never in the live set; the same array until one changes. */
  shadowRules(): readonly OperatorRule[] {
    this.effective();
    return this.cached!.shadow;
  }

  private effective(): readonly OperatorRule[] {
    const marker = repo.lastRevisionId(this.db);
    if (this.cached?.marker === marker) return this.cached.rules;
    const custom = repo.listCustomRules(this.db).filter((r) => !r.deleted);
    // A shadow rule changes nothing live: a file rule of its id still applies.
    const live = custom.filter((r) => r.rule.mode !== 'shadow');
    const ids = new Set(live.map((r) => r.id));
    // A file rule may be a shadow rule too: never live, judged beside the live ones like a custom one.
    const file = this.fileRules.filter((r) => !ids.has(r.id));
    const rules = Object.freeze([...file.filter((r) => r.mode !== 'shadow'), ...live.map((r) => r.rule)]);
    const shadow = Object.freeze([...file.filter((r) => r.mode === 'shadow'), ...custom.filter((r) => r.rule.mode === 'shadow').map((r) => r.rule)]);
    const changed = this.cached !== undefined;
    this.cached = { marker, rules, shadow };
    if (changed) for (const listener of this.listeners) listener([...rules]);
    return rules;
  }

  /** Calls `listener` with the new effective rules after each change; returns the unsubscribe. */
  onChange(listener: (rules: OperatorRule[]) => void): () => void {
    this.current();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every layer: built-ins, file rules, custom rules (deleted ones left out). */
  list(): RuleEntry[] {
    const effective = this.current();
    const custom = repo.listCustomRules(this.db).filter((r) => !r.deleted);
    const customIds = new Set(custom.map((r) => r.id));
    const fileIds = new Set(this.fileRules.map((r) => r.id));
    const builtIns = builtInRules().map((rule): RuleEntry => ({
      id: rule.id,
      layer: 'builtin',
      readOnly: true,
      rule,
      environments: environmentsOf(rule),
      tunedBy: effective.filter((r) => r.incidentType === rule.incidentType).map((r) => r.id),
    }));
    const files = this.fileRules.map((rule): RuleEntry => {
      const overridden = customIds.has(rule.id);
      return { id: rule.id, layer: 'file', readOnly: true, rule, environments: overridden ? NOWHERE : environmentsOf(rule), ...(overridden ? { overriddenBy: 'custom' as const } : {}) };
    });
    const customs = custom.map((row): RuleEntry => this.customEntry(row, fileIds.has(row.id)));
    return [...builtIns, ...files, ...customs];
  }

  /** The rule that id names in effect: custom, else file, else built-in. */
  get(id: string): RuleEntry {
    const row = repo.getCustomRule(this.db, id);
    if (row && !row.deleted) return this.customEntry(row, this.fileRules.some((r) => r.id === id));
    const found = this.list().find((e) => e.id === id && e.layer !== 'custom');
    if (!found) throw new RobosreError('unknown_rule', `no rule with id ${id}`, { id });
    return found;
  }

  create(input: unknown, change: RuleChangeBy): RuleEntry | HeldChange {
    const who = this.checkChange(change);
    const head = this.headOf(input);
    const version = (head?.version ?? 0) + 1;
    const { rule, edits } = validateRule(input, version, 'rule', this.destinations);
    if (edits !== undefined) throw invalidRule(['rule.version: a new rule has no version yet; leave version out']);
    if (head && !head.deleted) throw new RobosreError('rule_exists', `custom rule ${rule.id} exists already (version ${head.version}); update it instead`, { id: rule.id });
    return this.guarded({ kind: 'create', rule: input }, [{ next: rule, before: undefined }], who, () => this.write(rule.id, head, { change: 'create', rule, ...who }));
  }

  update(id: string, input: unknown, change: RuleChangeBy): RuleEntry | HeldChange {
    const who = this.checkChange(change);
    const head = this.liveHead(id);
    const { rule, edits } = validateRule(input, head.version + 1, 'rule', this.destinations);
    if (rule.id !== id) throw invalidRule([`rule.id: "${rule.id}" is not the rule being updated (${id}); clone it to make a new rule`]);
    if (edits === undefined) throw invalidRule([`rule.version: name the version this change edits (rule ${id} is at version ${head.version})`]);
    if (edits !== head.version) throw stale(id, head.version, edits);
    return this.guarded({ kind: 'update', id, rule: input }, [{ next: rule, before: head.rule }], who, () => this.write(id, head, { change: 'update', rule, ...who }));
  }

  /** Makes a shadow rule live, as a new revision (change `promote`); the guards judge it as any live change. */
  promote(id: string, edits: number, change: RuleChangeBy): RuleEntry | HeldChange {
    const who = this.checkChange(change);
    const head = this.liveHead(id);
    if (edits !== head.version) throw stale(id, head.version, edits);
    if (head.rule.mode !== 'shadow') {
      const problem = `path.id: rule ${id} is live already; only a shadow rule is promoted`;
      throw new RobosreError('invalid_request', problem, { problems: [problem] });
    }
    const { rule } = validateRule({ ...head.rule, mode: 'live' }, head.version + 1, 'rule', this.destinations);
    return this.guarded({ kind: 'promote', id, version: edits }, [{ next: rule, before: undefined }], who, () => this.write(id, head, { change: 'promote', rule, ...who }));
  }

  /** Copies a built-in, file or custom rule into a new custom rule (a file rule's copy keeps its id, so it overrides it). */
  clone(sourceId: string, options: { id?: string }, change: RuleChangeBy): RuleEntry {
    const who = this.checkChange(change);
    const source = this.get(sourceId);
    const id = options.id ?? (source.layer === 'builtin' ? `custom.${source.rule.incidentType}` : source.layer === 'file' ? source.id : undefined);
    if (id === undefined) throw new RobosreError('invalid_request', `body.id: name the new rule's id (${sourceId} is already a custom rule)`);
    const head = repo.getCustomRule(this.db, id);
    if (head && !head.deleted) throw new RobosreError('rule_exists', `custom rule ${id} exists already (version ${head.version}); update it instead`, { id });
    const { rule } = validateRule({ ...content(source.rule), id, owner: who.by.slice(0, 200) }, (head?.version ?? 0) + 1, 'rule', this.destinations);
    return this.write(id, head, { change: 'clone', rule, ...who });
  }

  /** Turns a custom rule on or off in one environment, as a new revision. */
  setEnabled(id: string, environment: Environment, enabled: boolean, edits: number, change: RuleChangeBy): RuleEntry | HeldChange {
    const who = this.checkChange(change);
    const head = this.liveHead(id);
    if (edits !== head.version) throw stale(id, head.version, edits);
    const rule = head.rule;
    const on = ENVIRONMENTS.filter((e) => rule.enabled && rule.environmentScope.includes(e));
    // environmentScope cannot be empty: switching off the last environment disables the rule and keeps its scope.
    const next = enabled
      ? { ...rule, enabled: true, environmentScope: ENVIRONMENTS.filter((e) => e === environment || on.includes(e)) }
      : on.length === 1 && on[0] === environment
        ? { ...rule, enabled: false }
        : { ...rule, environmentScope: rule.environmentScope.filter((e) => e !== environment) };
    const { rule: validated } = validateRule(next, head.version + 1, 'rule', this.destinations);
    const apply = () => this.write(id, head, { change: enabled ? 'enable' : 'disable', rule: validated, ...who });
    // Switching off only narrows what the robot does: no guard.
    return enabled ? this.guarded({ kind: 'enable', id, environment, version: edits }, [{ next: validated, before: rule }], who, apply) : apply();
  }

  /** Deletes a custom rule; the deletion is a revision, and the file rule it overrode applies again. */
  remove(id: string, edits: number, change: RuleChangeBy): RuleRevision {
    const who = this.checkChange(change);
    const head = this.liveHead(id);
    if (edits !== head.version) throw stale(id, head.version, edits);
    this.write(id, head, { change: 'delete', rule: { ...head.rule, version: head.version + 1 }, ...who });
    return this.history(id).at(-1)!;
  }

  /** Brings back the rule of an earlier revision as a new revision; the old rule is validated again, as any change is. */
  restore(id: string, revision: number, edits: number, change: RuleChangeBy): RuleEntry | HeldChange {
    const who = this.checkChange(change);
    const head = repo.getCustomRule(this.db, id);
    if (!head) throw new RobosreError('unknown_rule', `no custom rule with id ${id}`, { id });
    if (edits !== head.version) throw stale(id, head.version, edits);
    const old = repo.revisionsOf(this.db, id).find((r) => r.version === revision);
    if (!old) throw new RobosreError('invalid_request', `body.revision: rule ${id} has no revision ${revision} (it has 1 to ${head.version})`);
    const { rule } = validateRule(old.rule, head.version + 1, `revision ${revision}`, this.destinations);
    const before = head.deleted ? undefined : head.rule;
    return this.guarded({ kind: 'restore', id, revision, version: edits }, [{ next: rule, before }], who, () => this.write(id, head, { change: 'restore', rule, restoredFrom: revision, ...who }));
  }

  history(id: string): RuleRevision[] {
    const rows = repo.revisionsOf(this.db, id);
    if (rows.length === 0) throw new RobosreError('unknown_rule', `no custom rule with id ${id} has ever been stored`, { id });
    return rows.map(revisionView);
  }

  /** The live custom rules as a rules file, each with the version it is at. */
  exportYaml(): string {
    return rulesToYaml(repo.listCustomRules(this.db).filter((r) => !r.deleted).map((r) => r.rule));
  }

  /**
   * Applies a rules file: every rule is validated and every named version
   * checked before anything is written, and all of it is written in one
   * transaction. A rule without `version` is created or replaced; one that
   * equals what is stored writes no revision. Rules absent from the file stay.
   */
  importYaml(text: string, change: RuleChangeBy): ImportResult | HeldChange {
    const who = this.checkChange(change);
    const inputs = rulesFromYaml(text);
    const problems: string[] = [];
    const seen = new Set<string>();
    const planned: { rule: OperatorRule; edits: number | undefined; head: repo.CustomRuleRow | undefined }[] = [];
    inputs.forEach((input, index) => {
      try {
        const head = this.headOf(input);
        const { rule, edits } = validateRule(input, (head?.version ?? 0) + 1, `rules.${index}`, this.destinations);
        if (seen.has(rule.id)) problems.push(`rules.${index}.id: rule ${rule.id} is listed twice`);
        seen.add(rule.id);
        planned.push({ rule, edits, head });
      } catch (error) {
        if (!(error instanceof RobosreError) || error.code !== 'invalid_rule') throw error;
        problems.push(...(error.context.problems as string[]));
      }
    });
    if (problems.length > 0) throw invalidRule(problems);
    for (const { rule, edits, head } of planned) {
      if (edits !== undefined && edits !== (head?.version ?? 0)) {
        if (!head) throw new RobosreError('rule_conflict', `rule ${rule.id} does not exist, the file edits its version ${edits}: leave version out to create it`, { id: rule.id, currentVersion: 0 });
        throw stale(rule.id, head.version, edits);
      }
    }
    const changing = planned.filter(({ rule, head }) => !(head && !head.deleted && diffRules(content(head.rule), content(rule)).length === 0));
    const judged = changing.map(({ rule, head }) => ({ next: rule, before: head && !head.deleted ? head.rule : undefined }));
    return this.guarded({ kind: 'import', yaml: text }, judged, who, () => this.applyImport(planned, who));
  }

  private applyImport(planned: { rule: OperatorRule; head: repo.CustomRuleRow | undefined }[], who: Recorded): ImportResult {
    const result: ImportResult = { created: [], updated: [], unchanged: [] };
    this.db.transaction(() => {
      for (const { rule, head } of planned) {
        const now = repo.getCustomRule(this.db, rule.id);
        if ((now?.version ?? 0) !== (head?.version ?? 0)) throw stale(rule.id, now?.version ?? 0, head?.version ?? 0);
        const live = head && !head.deleted;
        if (live && diffRules(content(head.rule), content(rule)).length === 0) {
          result.unchanged.push(rule.id);
          continue;
        }
        this.append(rule.id, head, { change: 'import', rule, ...who });
        (live ? result.updated : result.created).push(rule.id);
      }
    });
    this.settled();
    return result;
  }

  /** The changes held for a second admin, newest first; expired ones are left out. */
  pendingChanges(): PendingChange[] {
    return guardsRepo.listPendingChanges(this.db, this.clock.now()).map(pendingView);
  }

  /**
   * A second admin applies a held change: it is validated and version-checked again as it stands now,
   * and its revision records who confirmed it.
   * @throws RobosreError `second_admin_required` when the requester confirms their own change.
   */
  confirm(changeId: number, change: RuleChangeBy): RuleEntry | ImportResult {
    const decider = this.checkChange(change);
    // One IMMEDIATE transaction: the change is read, applied and closed together, so a crash or a failure
    // in between leaves it pending with nothing applied, and a second confirmer (another process too)
    // waits for this one and then finds it closed rather than applying it again.
    const result = this.db.transaction(
      () => {
        const row = this.openChange(changeId);
        if (row.requestedBy === decider.by) throw new RobosreError('second_admin_required', `change ${changeId} was requested by ${row.requestedBy}; another admin must confirm it`, { id: changeId });
        this.confirming = decider.by;
        try {
          const applied = this.run(row.request as GuardedRequest, { by: row.requestedBy, reason: row.reason });
          guardsRepo.decidePendingChange(this.db, changeId, { status: 'confirmed', decidedBy: decider.by, decidedAt: this.clock.now(), decisionReason: decider.reason });
          return applied;
        } finally {
          this.confirming = undefined;
        }
      },
      { behavior: 'immediate' },
    );
    // Listeners hear of the change only once it is committed.
    this.current();
    return result;
  }

  /** Any admin, the requester too, may withdraw or reject a held change. */
  reject(changeId: number, change: RuleChangeBy): PendingChange {
    const decider = this.checkChange(change);
    // Read and closed together, as confirm() does: a rejection never overwrites a confirmation made meanwhile.
    return this.db.transaction(
      () => {
        const row = this.openChange(changeId);
        guardsRepo.decidePendingChange(this.db, changeId, { status: 'rejected', decidedBy: decider.by, decidedAt: this.clock.now(), decisionReason: decider.reason });
        return pendingView(row);
      },
      { behavior: 'immediate' },
    );
  }

  private openChange(changeId: number): guardsRepo.PendingChangeRow {
    const row = guardsRepo.getPendingChange(this.db, changeId);
    if (!row) throw new RobosreError('unknown_rule_change', `no held rule change ${changeId}`, { id: changeId });
    if (row.status !== 'pending') throw new RobosreError('rule_change_closed', `rule change ${changeId} was ${row.status} by ${row.decidedBy ?? 'someone'} already`, { id: changeId });
    if (row.expiresAt <= this.clock.now()) throw new RobosreError('rule_change_closed', `rule change ${changeId} expired at ${new Date(row.expiresAt).toISOString()}; request it again`, { id: changeId });
    return row;
  }

  private run(request: GuardedRequest, who: RuleChangeBy): RuleEntry | ImportResult {
    const result = (() => {
      switch (request.kind) {
        case 'create':
          return this.create(request.rule, who);
        case 'update':
          return this.update(request.id, request.rule, who);
        case 'enable':
          return this.setEnabled(request.id, request.environment, true, request.version, who);
        case 'restore':
          return this.restore(request.id, request.revision, request.version, who);
        case 'promote':
          return this.promote(request.id, request.version, who);
        case 'import':
          return this.importYaml(request.yaml, who);
      }
    })();
    // A confirmed change is never held again.
    if (isHeld(result)) throw new Error(`confirmed change ${request.kind} was held again`);
    return result;
  }

  /** Applies the change unless a guard trips; then it is stored as pending and nothing else changes. */
  private guarded<T>(request: GuardedRequest, judged: { next: OperatorRule; before: OperatorRule | undefined }[], who: Recorded, apply: () => T): T | HeldChange {
    if (this.confirming !== undefined || !this.guards) return apply();
    const live = this.current();
    const tripped = judged.map(({ next, before }) => ({ id: next.id, trips: this.guards!(next, before, live) })).filter((t) => t.trips.length > 0);
    if (tripped.length === 0) return apply();
    const now = this.clock.now();
    const row = guardsRepo.insertPendingChange(this.db, {
      ruleId: tripped[0]!.id,
      kind: request.kind,
      request,
      guards: tripped.flatMap((t) => t.trips.map((trip) => (tripped.length > 1 ? { ...trip, ruleId: t.id } : trip))),
      reason: who.reason,
      requestedBy: who.by,
      requestedAt: now,
      expiresAt: now + PENDING_CHANGE_TTL_MS,
    });
    return { status: 'confirmation_required', change: pendingView(row) };
  }

  /** Tells the listeners of a written change, unless it is part of a confirmation not yet committed. */
  private settled(): void {
    if (this.confirming === undefined) this.current();
  }

  private customEntry(row: repo.CustomRuleRow, overridesFile: boolean): RuleEntry {
    return {
      id: row.id,
      layer: 'custom',
      readOnly: false,
      rule: row.rule,
      environments: environmentsOf(row.rule),
      ...(overridesFile ? { overrides: 'file' as const } : {}),
      updatedAt: row.updatedAt,
      updatedBy: row.updatedBy,
    };
  }

  private checkChange(change: RuleChangeBy): Recorded {
    const reason = reasonSchema.safeParse(change.reason);
    if (!reason.success) throw new RobosreError('invalid_request', `reason: ${reason.error.issues[0]?.message ?? 'invalid'}`);
    return { by: change.by, reason: reason.data, ...(this.confirming !== undefined ? { confirmedBy: this.confirming } : {}) };
  }

  /** The stored head for the id an input names, when it names a usable one. */
  private headOf(input: unknown): repo.CustomRuleRow | undefined {
    const id = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined;
    return typeof id === 'string' ? repo.getCustomRule(this.db, id) : undefined;
  }

  private liveHead(id: string): repo.CustomRuleRow {
    const head = repo.getCustomRule(this.db, id);
    if (head && !head.deleted) return head;
    if (id.startsWith(BUILTIN_PREFIX) ? findBuiltIn(id) : this.fileRules.some((r) => r.id === id)) {
      throw new RobosreError('read_only_rule', `rule ${id} is a ${id.startsWith(BUILTIN_PREFIX) ? 'built-in' : 'config-file'} rule and read-only; clone it (POST /api/rules/${id}/clone) to override it`, { id });
    }
    throw new RobosreError('unknown_rule', `no custom rule with id ${id}`, { id });
  }

  private write(id: string, head: repo.CustomRuleRow | undefined, revision: { change: repo.RuleChange; rule: OperatorRule; restoredFrom?: number } & Recorded): RuleEntry {
    this.db.transaction(() => {
      // Read again inside the transaction: a writer in another process may have moved the head since.
      const now = repo.getCustomRule(this.db, id);
      if ((now?.version ?? 0) !== (head?.version ?? 0)) throw stale(id, now?.version ?? 0, head?.version ?? 0);
      if (revision.change === 'create' && now && !now.deleted) throw new RobosreError('rule_exists', `custom rule ${id} exists already (version ${now.version}); update it instead`, { id });
      this.append(id, now, revision);
    });
    this.settled();
    const row = repo.getCustomRule(this.db, id)!;
    return this.customEntry(row, this.fileRules.some((r) => r.id === id));
  }

  private append(id: string, head: repo.CustomRuleRow | undefined, revision: { change: repo.RuleChange; rule: OperatorRule; restoredFrom?: number } & Recorded): void {
    const before = head && !head.deleted ? content(head.rule) : {};
    const diff = revision.change === 'delete' ? diffRules(content(head!.rule), {}) : diffRules(before, content(revision.rule));
    repo.appendRevision(this.db, { ruleId: id, version: revision.rule.version, at: this.clock.now(), diff, ...revision });
  }
}
