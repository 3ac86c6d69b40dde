/** `robosre incidents` and `robosre incident <id>`: read the store without running the engine. */
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config/config.js';
import { RobosreError } from '../errors.js';
import { INCIDENT_STATUSES, type IncidentStatus } from '../engine/model.js';
import { openStore } from '../store/db.js';
import * as incidentsRepo from '../store/incidents.repo.js';
import * as actionsRepo from '../store/actions.repo.js';

function parseStatus(value: string): IncidentStatus {
  if (!(INCIDENT_STATUSES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`unknown status "${value}"; valid: ${INCIDENT_STATUSES.join(', ')}`);
  }
  return value as IncidentStatus;
}

function parseId(value: string): number {
  const id = Number(value);
  if (!Number.isInteger(id) || id <= 0) throw new InvalidArgumentError(`incident id must be a positive integer, got "${value}"`);
  return id;
}

export function incidentsCommand(): Command {
  return new Command('incidents')
    .description('list incidents, newest first')
    .option('-c, --config <path>', 'YAML or JSON config file')
    .option('--status <status>', 'only incidents in this status', parseStatus)
    .option('--json', 'print JSON')
    .action((opts: { config?: string; status?: IncidentStatus; json?: boolean }) => {
      const store = openStore(loadConfig(opts.config).database.path);
      try {
        const list = incidentsRepo.listIncidents(store.db, opts.status ? { status: opts.status } : {});
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ incidents: list }, null, 2)}\n`);
          return;
        }
        for (const i of list) {
          process.stdout.write(`${String(i.id).padStart(4)}  ${i.status.padEnd(10)} ${i.severity.padEnd(8)} ${i.incidentType.padEnd(30)} ${i.subject}  ×${i.occurrences}${i.parentId ? `  parent ${i.parentId}` : ''}\n`);
        }
        if (list.length === 0) process.stdout.write('no incidents\n');
      } finally {
        store.close();
      }
    });
}

export function incidentCommand(): Command {
  return new Command('incident')
    .description('show one incident with its actions, approvals and timeline')
    .argument('<id>', 'incident id', parseId)
    .option('-c, --config <path>', 'YAML or JSON config file')
    .option('--json', 'print JSON')
    .action((id: number, opts: { config?: string; json?: boolean }) => {
      const store = openStore(loadConfig(opts.config).database.path);
      try {
        const incident = incidentsRepo.getIncident(store.db, id);
        if (!incident) throw new RobosreError('unknown_incident', `no incident with id ${id}`, { id });
        const actions = actionsRepo.listActions(store.db, id);
        const approvals = actionsRepo.listApprovals(store.db, id);
        const timeline = incidentsRepo.timeline(store.db, id);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ incident, actions, approvals, timeline }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`incident ${id}: ${incident.incidentType} on ${incident.subject}\n`);
        process.stdout.write(`status ${incident.status}, severity ${incident.severity}, confidence ${incident.confidence}, ${incident.occurrences} occurrence(s)\n`);
        process.stdout.write(`${incident.evidenceSummary}\n\nactions:\n`);
        for (const a of actions) process.stdout.write(`  ${a.actionId} on ${a.target}: ${a.decision} → ${a.status}\n`);
        process.stdout.write('\ntimeline:\n');
        for (const e of timeline) process.stdout.write(`  ${new Date(e.at).toISOString()}  ${e.kind.padEnd(18)} ${e.summary}\n`);
      } finally {
        store.close();
      }
    });
}
