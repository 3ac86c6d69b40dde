/**
 * The small template language of alert mappings. It borrows the syntax
 * operators already write in Prometheus alert annotations, so a rule reads
 * like the alert it maps:
 *
 *   {{ $labels.node }}   {{ .Labels.node }}   {{ node }}     a label value
 *   {{ or $labels.node $labels.instance "unknown" }}         the first non-empty value
 *   {{ $labels.instance | stripPort }}                        `10.0.0.1:9100` → `10.0.0.1`
 *
 * A placeholder whose value is empty renders the whole template as
 * `undefined`: a rule never produces a subject or target with a hole in it.
 */

export class TemplateError extends Error {
  constructor(
    readonly template: string,
    detail: string,
  ) {
    super(`template "${template}": ${detail}`);
    this.name = 'TemplateError';
  }
}

export type Labels = Readonly<Record<string, string>>;

/** Own labels only: `constructor` or `toString` must read as absent, not as Object's methods. */
export function labelValue(labels: Labels, name: string): string {
  return Object.hasOwn(labels, name) ? (labels[name] ?? '') : '';
}

type Arg = { label: string } | { literal: string };
type Part = string | { args: Arg[]; stripPort: boolean };

export interface Template {
  render(labels: Labels): string | undefined;
}

const LABEL = /^(?:\$labels\.|\.Labels\.)?([a-zA-Z_][a-zA-Z0-9_]*)$/;
const PLACEHOLDER = /\{\{(.*?)\}\}/g;

function parseArg(template: string, token: string): Arg {
  const quoted = /^"([^"]*)"$/.exec(token);
  if (quoted) return { literal: quoted[1] ?? '' };
  const label = LABEL.exec(token);
  if (!label?.[1]) throw new TemplateError(template, `"${token}" is not a label reference ($labels.name, .Labels.name or name) or a "quoted" string`);
  return { label: label[1] };
}

function parsePlaceholder(template: string, body: string): Part {
  const [head = '', ...pipes] = body.split('|').map((s) => s.trim());
  const tokens = head.split(/\s+/).filter(Boolean);
  if (tokens.length === 0) throw new TemplateError(template, 'empty placeholder');
  const isOr = tokens[0] === 'or';
  if (isOr && tokens.length < 3) throw new TemplateError(template, '"or" needs at least two arguments');
  if (!isOr && tokens.length > 1) throw new TemplateError(template, `unknown function "${tokens[0]}"; supported: or, stripPort`);
  const args = (isOr ? tokens.slice(1) : tokens).map((t) => parseArg(template, t));
  for (const pipe of pipes) {
    if (pipe !== 'stripPort') throw new TemplateError(template, `unknown pipe "${pipe}"; supported: stripPort`);
  }
  return { args, stripPort: pipes.length > 0 };
}

/** Go's net.SplitHostPort without the error: an address that has no port is returned as it is. */
function stripPort(address: string): string {
  const bracketed = /^\[(.+)\]:\d+$/.exec(address);
  if (bracketed?.[1]) return bracketed[1];
  const plain = /^([^:]+):\d+$/.exec(address);
  return plain?.[1] ?? address;
}

function evaluate(part: Exclude<Part, string>, labels: Labels): string {
  for (const arg of part.args) {
    const value = 'literal' in arg ? arg.literal : labelValue(labels, arg.label);
    if (value !== '') return part.stripPort ? stripPort(value) : value;
  }
  return '';
}

const cache = new Map<string, Template>();

/** Parses once per distinct template string; throws `TemplateError` on a syntax error. */
export function compileTemplate(template: string): Template {
  const cached = cache.get(template);
  if (cached) return cached;
  const parts: Part[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push(template.slice(last, match.index));
    parts.push(parsePlaceholder(template, match[1] ?? ''));
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  if (parts.some((p) => typeof p === 'string' && (p.includes('{{') || p.includes('}}')))) {
    throw new TemplateError(template, 'unbalanced {{ }}');
  }
  const compiled: Template = {
    render(labels) {
      let out = '';
      for (const part of parts) {
        const value = typeof part === 'string' ? part : evaluate(part, labels);
        if (value === '') return undefined;
        out += value;
      }
      return out;
    },
  };
  cache.set(template, compiled);
  return compiled;
}
