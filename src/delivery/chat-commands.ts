/**
 * The one implementation of what people can do from any chat: the shared
 * grammar's commands and the approval buttons. Every input is audited,
 * allowed or refused; state changes go through the engine, which re-checks
 * the policy when an approved action runs.
 */
import type { Logger } from 'pino';
import type { ChannelIdentity, InboundHandler, InboundReply } from '../../conversations/channel.js';
import { verifyButton } from '../../conversations/button-token.js';
import type { Ref } from '../../conversations/codes.js';
import { HELP_TEXT, parseCommand, type Command } from '../../conversations/grammar.js';
import { atLeast, resolvePerson, type Directory, type ResolvedPerson } from '../../conversations/people.js';
import { formatDuration } from '../../conversations/approval-prompt.js';
import { statusLine } from '../../conversations/messages.js';
import { RobosreError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import type { ApprovalRow, Incident } from '../engine/model.js';
import type { Clock } from '../engine/settings.js';
import type { Db } from '../store/db.js';
import * as actionsRepo from '../store/actions.repo.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import { recordAudit } from '../store/deliveries.repo.js';
import { incidentCard } from './cards.js';

export interface ChatCommandsOptions {
  db: Db;
  engine: Engine;
  directory: Directory;
  buttonKey: Buffer;
  clock: Clock;
  logger: Logger;
  publicUrl?: string;
}

/** Commands that change something need an approver. */
const WRITES = new Set<Command['name']>(['ack', 'approve', 'deny', 'silence', 'pause', 'resume']);

export class ChatCommands implements InboundHandler {
  constructor(private readonly options: ChatCommandsOptions) {}

  command(from: ChannelIdentity, text: string): Promise<InboundReply> {
    const person = resolvePerson(this.options.directory, from);
    const parsed = parseCommand(text);
    if (!parsed.ok) return Promise.resolve(this.answer(from, person, text, { ok: false, text: parsed.error }, 'invalid'));
    const command = parsed.command;
    if (WRITES.has(command.name) && !atLeast(person.role, 'approver')) {
      return Promise.resolve(this.answer(from, person, text, { ok: false, text: `${person.name} is not an approver: "${command.name}" is refused.` }, 'unauthorised'));
    }
    try {
      const reply = this.run(command, person, from);
      return Promise.resolve(this.answer(from, person, text, reply, reply.ok ? 'done' : 'refused'));
    } catch (error) {
      if (!(error instanceof RobosreError)) throw error;
      return Promise.resolve(this.answer(from, person, text, { ok: false, text: error.message }, 'refused'));
    }
  }

  button(from: ChannelIdentity, token: string): Promise<InboundReply> {
    const person = resolvePerson(this.options.directory, from);
    const claim = verifyButton(this.options.buttonKey, token);
    const input = `button ${token.slice(0, 64)}`;
    if (!claim) return Promise.resolve(this.answer(from, person, input, { ok: false, text: 'This button was not issued by robosre; nothing was done.' }, 'forged'));
    if (!atLeast(person.role, 'approver')) {
      return Promise.resolve(this.answer(from, person, input, { ok: false, text: `${person.name} is not authorised to decide approvals; ask an approver.` }, 'unauthorised'));
    }
    try {
      const reply = this.decide({ kind: 'approval', code: claim.approvalCode }, claim.decision === 'approve', person, from);
      return Promise.resolve(this.answer(from, person, input, reply, reply.ok ? 'done' : 'refused'));
    } catch (error) {
      if (!(error instanceof RobosreError)) throw error;
      return Promise.resolve(this.answer(from, person, input, { ok: false, text: error.message }, 'refused'));
    }
  }

  refused(from: ChannelIdentity | null, reason: string, detail: Record<string, unknown> = {}): void {
    recordAudit(this.options.db, { at: this.options.clock.now(), channel: from?.channel ?? 'unknown', identity: from?.id ?? null, person: null, input: reason, outcome: 'refused', detail });
    this.options.logger.warn({ channel: from?.channel, identity: from?.id, reason }, 'chat input refused');
  }

  private answer(from: ChannelIdentity, person: ResolvedPerson, input: string, reply: InboundReply, outcome: string): InboundReply {
    recordAudit(this.options.db, { at: this.options.clock.now(), channel: from.channel, identity: from.id, person: person.name, input: input.slice(0, 500), outcome, detail: { reply: reply.text.slice(0, 500) } });
    if (outcome === 'unauthorised' || outcome === 'forged') this.options.logger.warn({ channel: from.channel, identity: from.id, outcome }, 'chat input refused');
    return reply;
  }

  private run(command: Command, person: ResolvedPerson, from: ChannelIdentity): InboundReply {
    const { engine } = this.options;
    const now = this.options.clock.now();
    switch (command.name) {
      case 'help':
        return { ok: true, text: HELP_TEXT };
      case 'incidents':
        return { ok: true, text: this.listOpen(now) };
      case 'status':
        return { ok: true, text: this.status(this.incidentOf(command.ref), now) };
      case 'ack': {
        const incident = engine.acknowledge(this.incidentOf(command.ref).id, person.name);
        return { ok: true, text: `Incident #${incident.id} acknowledged by ${person.name}.` };
      }
      case 'silence': {
        const incident = engine.silence(this.incidentOf(command.ref).id, now + command.durationMs, person.name);
        return { ok: true, text: `Updates of incident #${incident.id} silenced for ${formatDuration(command.durationMs)}.` };
      }
      case 'approve':
      case 'deny':
        return this.decide(command.ref, command.name === 'approve', person, from, command.name === 'deny' ? command.reason : undefined);
      case 'pause':
        engine.setPaused(true, person.name);
        return { ok: true, text: `Automatic actions paused by ${person.name}. Approved actions are re-checked and will not run either. Send "resume" to allow them again.` };
      case 'resume':
        engine.setPaused(false, person.name);
        return { ok: true, text: `Automatic actions allowed again (${person.name}).` };
    }
  }

  private decide(ref: Ref, approve: boolean, person: ResolvedPerson, from: ChannelIdentity, reason?: string): InboundReply {
    const approval = this.approvalOf(ref);
    const result = this.options.engine.decideApproval(approval.id, { approve, by: person.name, channel: from.channel, ...(reason ? { reason } : {}) });
    const what = `${String(approval.prompt.action)} on ${String(approval.prompt.target)}`;
    if (!result.settled) return { ok: true, text: `Approval ${approval.code} (${what}): ${result.approvals} of ${result.required} approvals; waiting for another approver.` };
    return { ok: true, text: approve ? `Approved ${approval.code}: ${what} will run after a final policy check.` : `Denied ${approval.code}: ${what} will not run.` };
  }

  private incidentOf(ref: Ref): Incident {
    const id = ref.kind === 'incident' ? ref.id : this.approvalOf(ref).incidentId;
    const incident = incidentsRepo.getIncident(this.options.db, id);
    if (!incident) throw new RobosreError('unknown_incident', `no incident #${id}; send "incidents" to list the open ones`, { incidentId: id });
    return incident;
  }

  /** An approval code, or an incident with exactly one pending approval. */
  private approvalOf(ref: Ref): ApprovalRow {
    if (ref.kind === 'approval') {
      const approval = actionsRepo.approvalByCode(this.options.db, ref.code);
      if (!approval) throw new RobosreError('unknown_approval', `no approval ${ref.code}; codes are shown on each approval request`, { code: ref.code });
      return approval;
    }
    const incident = this.incidentOf(ref);
    const pending = actionsRepo.listApprovals(this.options.db, incident.id).filter((a) => a.status === 'pending');
    if (pending.length === 1) return pending[0]!;
    if (pending.length === 0) throw new RobosreError('unknown_approval', `incident #${incident.id} has no pending approval`, { incidentId: incident.id });
    throw new RobosreError('unknown_approval', `incident #${incident.id} has ${pending.length} pending approvals (${pending.map((a) => a.code).join(', ')}); name one by its code`, { incidentId: incident.id });
  }

  private listOpen(now: number): string {
    const open = incidentsRepo.listIncidents(this.options.db, { limit: 200 }).filter((i) => i.status !== 'resolved' && i.status !== 'suppressed');
    if (open.length === 0) return 'No open incidents.';
    const lines = open.slice(0, 15).map((i) => `#${i.id} ${i.severity.toUpperCase()} ${i.incidentType} ${i.subject} — ${i.status}, ${i.occurrences}×, ${formatDuration(now - i.createdAt)} old`);
    if (open.length > 15) lines.push(`… and ${open.length - 15} more in the console`);
    return lines.join('\n');
  }

  private status(incident: Incident, now: number): string {
    const card = incidentCard(this.options.db, incident, this.options.publicUrl);
    const pending = actionsRepo.listApprovals(this.options.db, incident.id).filter((a) => a.status === 'pending' && a.expiresAt > now);
    return [
      `#${card.id} ${card.severity.toUpperCase()} ${card.className} on ${card.subject}`,
      statusLine(card, now),
      card.evidenceSummary,
      ...(card.done.length ? [`Robot did: ${card.done.join('; ')}`] : []),
      ...(card.next.length ? [`Robot will: ${card.next.join('; ')}`] : []),
      ...pending.map((a) => `Pending approval ${a.code}: ${String(a.prompt.action)} on ${String(a.prompt.target)}, expires in ${formatDuration(a.expiresAt - now)}`),
      ...(card.link ? [card.link] : []),
    ].join('\n');
  }
}
