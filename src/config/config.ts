/**
 * Configuration is parsed once, here, and handed on as a typed value. The
 * embedded default runs the demo environment on a local SQLite file with the
 * recording executor, so `robosre start` works on a fresh machine.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import ms from 'ms';
import { ENVIRONMENTS } from '../../policies/types.js';
import type { OperatorRule } from '../../policies/types.js';
import { parseOperatorRule } from '../../policies/rules.js';
import { RobosreError } from '../errors.js';

const duration = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const parsed = ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed <= 0) {
    ctx.addIssue({ code: 'custom', message: `not a duration: "${value}" (use e.g. 30s, 10m, 1h, or milliseconds)` });
    return z.NEVER;
  }
  return parsed;
});

const configSchema = z
  .object({
    environment: z.enum(ENVIRONMENTS).default('demo'),
    cluster: z
      .object({
        name: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'cluster.name must be a DNS label').default('demo'),
      })
      .strict()
      .default({ name: 'demo' }),
    database: z.object({ path: z.string().min(1).default('data/robosre.db') }).strict().default({ path: 'data/robosre.db' }),
    executor: z
      .object({
        kind: z.literal('recording').default('recording'),
        journal: z.string().min(1).default('data/actions.ndjson'),
        failing: z.array(z.string()).default([]),
      })
      .strict()
      .default({ kind: 'recording', journal: 'data/actions.ndjson', failing: [] }),
    engine: z
      .object({
        approvalTtl: duration.default(10 * 60_000),
        stageTimeout: duration.default(10 * 60_000),
        executeTimeout: duration.default(60_000),
        paused: z.boolean().default(false),
      })
      .strict()
      .default({ approvalTtl: 600_000, stageTimeout: 600_000, executeTimeout: 60_000, paused: false }),
    /** Replays the built-in demo scenario at start; only allowed in the demo environment. */
    demo: z.boolean().default(true),
    rules: z.array(z.unknown()).default([]),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.demo && c.environment !== 'demo') {
      ctx.addIssue({ code: 'custom', path: ['demo'], message: 'the demo scenario may only run in the demo environment' });
    }
  });

export type RawConfig = z.output<typeof configSchema>;
export type Config = Omit<RawConfig, 'rules'> & { rules: OperatorRule[] };

/**
 * Validates a config object; every problem is reported with its path.
 * @example parseConfig({ environment: 'production', demo: false })
 */
export function parseConfig(input: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new RobosreError('invalid_config', `invalid ${source}: ${problems.join('; ')}`, { source, problems });
  }
  const rules = result.data.rules.map((rule, index) => {
    try {
      return parseOperatorRule(rule);
    } catch (cause) {
      throw new RobosreError('invalid_config', `invalid ${source}: rules.${index}: ${(cause as Error).message}`, { source, index }, { cause });
    }
  });
  return { ...result.data, rules };
}

/**
 * Reads YAML or JSON from `path` (or `ROBOSRE_CONFIG`), or the embedded
 * default when neither is given.
 */
export function loadConfig(path: string | undefined = process.env.ROBOSRE_CONFIG || undefined): Config {
  if (!path) return parseConfig({}, 'embedded default config');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new RobosreError('invalid_config', `cannot read config ${path}: ${(cause as Error).message}`, { path }, { cause });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (cause) {
    throw new RobosreError('invalid_config', `config ${path} is not valid YAML: ${(cause as Error).message}`, { path }, { cause });
  }
  return parseConfig(data, `config ${path}`);
}
