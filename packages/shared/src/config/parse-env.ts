import { z } from 'zod';
import { ConfigError } from '../errors/app-error';

export type Env = Record<string, string | undefined>;

/**
 * Parses environment variables with a zod schema. Empty strings count as unset, so
 * `FOO=` in a compose file falls back to the default. On failure the ConfigError message
 * is one line naming every bad variable and what is wrong, never the value.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  const cleaned: Env = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || 'environment';
    const reason = issue.code === 'invalid_type' && cleaned[name] === undefined ? 'is required' : issue.message;
    return `${name} ${reason}`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

/** "true"/"false"/"1"/"0"/"yes"/"no"; never Boolean(str), where "false" would be true. */
export const boolEnv = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const intEnv = (fallback: number, min = 1) =>
  z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(min, `must be at least ${min}`).default(fallback);

export const urlEnv = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

export const BaseEnv = z.object({
  REDIS_URL: urlEnv(['redis:', 'rediss:']).default('redis://127.0.0.1:6379').describe('The Redis that holds the queues and the conversations: `redis://`, or `rediss://` for TLS. A user and password go in the URL, which then counts as a secret.'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]+$/, 'may contain letters, digits, _, - and {} only')
    .default('bridge')
    .describe('Prefix of every Redis key: letters, digits, `_`, `-`, `{` and `}`. All services of one deployment use the same prefix.'),
  REDIS_CLUSTER: boolEnv(false).describe('`true` when `REDIS_URL` names one seed node of a Redis Cluster; `REDIS_PREFIX` must then be a hash tag in braces, such as `{bridge}`.'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info').describe('`error`, `warn`, `info`, `http`, `verbose`, `debug` or `silly`; JSON lines on stdout. `http` adds one line per webhook answer. Never `debug` or `silly` in production: they log message text.'),
}).superRefine((env, ctx) => {
  // BullMQ's Lua scripts touch many keys of a queue at once: on a cluster they must share a slot
  if (env.REDIS_CLUSTER && !/^\{[^{}]+\}$/.test(env.REDIS_PREFIX)) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_PREFIX'], message: 'must be a hash tag in braces, such as {bridge}, when REDIS_CLUSTER=true' });
  }
});

/** Job settings shared by the producer (ingest) and the consumer (worker). */
export const QueueEnv = BaseEnv.extend({
  JOB_ATTEMPTS: intEnv(8).describe("Attempts per job, the first one included, before the job stays failed. The ingest's value applies to `reply-generate` jobs and the worker's to `reply-send` jobs: set the same in both."),
  JOB_KEEP_COMPLETED: intEnv(1000, 0).describe('Completed jobs kept per queue, for the dashboard; older ones are removed.'),
  JOB_KEEP_FAILED_DAYS: intEnv(7).describe('Days a failed job is kept, with its reason, for inspection and retry.'),
});
export function jobRetentionFrom(env: z.infer<typeof QueueEnv>) {
  return { attempts: env.JOB_ATTEMPTS, keepCompleted: env.JOB_KEEP_COMPLETED, keepFailedSeconds: env.JOB_KEEP_FAILED_DAYS * 86_400 };
}
