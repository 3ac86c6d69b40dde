/**
 * The Slack requests robosre takes, parsed and checked before Bolt sees
 * them: a `/sre` slash command, an Approve/Deny press (block_actions), and
 * Slack's own url_verification and ssl_check. Anything else was never asked
 * for and is refused at once (Bolt would only time out on it).
 */
import { z } from 'zod';
import { problemLines } from '../../src/errors.js';
import { APPROVE_ACTION, DENY_ACTION } from './blocks.js';

/** Where requests must come from: the configured workspace and channel(s), and the origins Slack's response_urls live on. */
export interface SlackScope {
  teamId: string;
  channels: string[];
  responseOrigins: string[];
}

export type SlackRequest =
  | { kind: 'ssl_check' }
  | { kind: 'url_verification'; challenge: string }
  | { kind: 'command' | 'button'; body: Record<string, unknown>; teamId: string; channelId: string; userId: string; userName: string; responseUrl: string };

const id = z.string().min(1).max(64);
const responseUrl = z.string().max(2048);

const slashCommand = z.object({
  command: z.literal('/sre', 'robosre answers only /sre'),
  team_id: id,
  channel_id: id,
  user_id: id,
  user_name: z.string().max(256),
  text: z.string(),
  response_url: responseUrl,
});

const buttonPress = z.object({
  type: z.literal('block_actions'),
  team: z.object({ id }),
  user: z.object({ id, username: z.string().max(256).optional() }),
  channel: z.object({ id }),
  response_url: responseUrl,
  actions: z.array(z.object({ action_id: z.enum([APPROVE_ACTION, DENY_ACTION]), value: z.string().max(2000).optional() })).length(1),
});

const urlVerification = z.object({ type: z.literal('url_verification'), challenge: z.string().max(256) });

export function parseSlackRequest(body: string, contentType: string): { ok: true; request: SlackRequest } | { ok: false; problem: string } {
  if (contentType.startsWith('application/json')) {
    const verification = urlVerification.safeParse(parseJson(body));
    return verification.success ? { ok: true, request: { kind: 'url_verification', challenge: verification.data.challenge } } : unsupported();
  }
  const form = Object.fromEntries(new URLSearchParams(body));
  if (form.ssl_check === '1') return { ok: true, request: { kind: 'ssl_check' } };
  if (typeof form.payload === 'string') {
    const payload = parseJson(form.payload);
    const press = buttonPress.safeParse(payload);
    if (!press.success) return invalid('button press', press.error);
    const p = press.data;
    return { ok: true, request: { kind: 'button', body: payload as Record<string, unknown>, teamId: p.team.id, channelId: p.channel.id, userId: p.user.id, userName: p.user.username ?? p.user.id, responseUrl: p.response_url } };
  }
  if (form.command !== undefined) {
    const command = slashCommand.safeParse(form);
    if (!command.success) return invalid('slash command', command.error);
    const c = command.data;
    return { ok: true, request: { kind: 'command', body: form, teamId: c.team_id, channelId: c.channel_id, userId: c.user_id, userName: c.user_name, responseUrl: c.response_url } };
  }
  return unsupported();
}

/** Null when the request comes from where robosre listens, else why not (shown to the person). */
export function admissionProblem(request: Extract<SlackRequest, { responseUrl: string }>, scope: SlackScope): string | null {
  if (request.teamId !== scope.teamId) return `this workspace (${request.teamId}) is not the one robosre is installed for`;
  if (!scope.channels.includes(request.channelId)) return `robosre listens only in ${scope.channels.map((c) => `<#${c}>`).join(', ')}`;
  if (!onOrigins(request.responseUrl, scope.responseOrigins)) return "the request's response_url is not Slack's";
  return null;
}

/**
 * Slack hands out response_urls on hooks.<its domain> (hooks.slack.com, or
 * hooks.slack-gov.com for GovSlack). A Web API elsewhere (a proxy, the test
 * emulator) is trusted for its own origin and nothing else.
 */
export function responseOrigins(apiUrl: string): string[] {
  const api = new URL(apiUrl);
  const slack = /(?:^|\.)(slack(?:-gov)?\.com)$/.exec(api.hostname);
  return slack ? [`https://hooks.${slack[1]}`] : [api.origin];
}

function onOrigins(url: string, origins: string[]): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username === '' && parsed.password === '' && origins.includes(parsed.origin);
  } catch {
    return false;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function unsupported(): { ok: false; problem: string } {
  return { ok: false, problem: 'not a request robosre takes: only /sre commands, Approve/Deny presses, url_verification and ssl_check' };
}

function invalid(what: string, error: z.ZodError): { ok: false; problem: string } {
  const problems = problemLines(error.issues, 'body');
  return { ok: false, problem: `invalid Slack ${what}: ${problems.join('; ')}` };
}
