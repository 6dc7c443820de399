import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { ConfigError } from '../errors/app-error';
import { TRUST_PROXY_NAMES, parseAddressRange, type AddressRange } from '../http/address-allowlist';

export type Env = Record<string, string | undefined>;

/**
 * Parses environment variables with a zod schema. Empty strings count as unset, so
 * `FOO=` in a compose file falls back to the default. On failure the ConfigError message
 * is one line naming every bad variable and what is wrong, never the value.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env, options: { keepEmpty?: string[] } = {}): z.infer<S> {
  const cleaned: Env = {};
  for (const [key, value] of Object.entries(env)) {
    // a few variables mean "off" when set empty (FALLBACK_MESSAGE=)
    if (value !== undefined && (value.trim() !== '' || options.keepEmpty?.includes(key))) cleaned[key] = value;
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

/** Splits a comma-separated value into its trimmed, non-empty entries, each with its 1-based number. */
const listEntries = (value: string) =>
  value.split(',').map((entry, i) => ({ entry: entry.trim(), n: i + 1 })).filter(({ entry }) => entry !== '');

/**
 * One secret, or several separated by commas while one is rotated (any one matches; outbound
 * requests sign with each). Each entry needs minLength characters; messages name entries by number.
 */
export const secretListEnv = (minLength = 16) =>
  z.string().transform((value, ctx): string[] => {
    const entries = listEntries(value);
    const short = entries.filter(({ entry }) => entry.length < minLength).map(({ n }) => n);
    if (entries.length === 0) ctx.addIssue({ code: 'custom', message: 'must hold at least one secret' });
    else if (entries.length === 1 && short.length) ctx.addIssue({ code: 'custom', message: `must be at least ${minLength} characters` });
    else if (short.length) ctx.addIssue({ code: 'custom', message: `entry ${short.join(', ')} must be at least ${minLength} characters (entries are separated by commas)` });
    else return entries.map(({ entry }) => entry);
    return z.NEVER;
  });

/** Comma-separated IPv4/IPv6 addresses and CIDR ranges; a bad entry is named with its number. */
export const cidrListEnv = () =>
  z.string().transform((value, ctx): AddressRange[] => {
    const ranges: AddressRange[] = [];
    for (const { entry, n } of listEntries(value)) {
      const range = parseAddressRange(entry);
      if (!range) {
        ctx.addIssue({ code: 'custom', message: `entry ${n} "${entry.slice(0, 60)}" is not an IP address or CIDR range (such as 203.0.113.0/24)` });
        return z.NEVER;
      }
      ranges.push(range);
    }
    if (ranges.length === 0) ctx.addIssue({ code: 'custom', message: 'must hold at least one address or range' });
    return ranges;
  });

export type TrustProxy = boolean | number | string[];

/**
 * Express's `trust proxy`: false (the socket's address is the client), true (every proxy: the
 * client picks its own address), a hop count, or the proxies' addresses, ranges and the names
 * loopback, linklocal, uniquelocal.
 */
export const trustProxyEnv = () =>
  z
    .string()
    .default('false')
    .transform((value, ctx): TrustProxy => {
      if (value === 'false') return false;
      if (value === 'true') return true;
      if (/^\d+$/.test(value)) return Number(value);
      const entries = listEntries(value);
      for (const { entry, n } of entries) {
        if (!(TRUST_PROXY_NAMES as readonly string[]).includes(entry) && !parseAddressRange(entry)) {
          ctx.addIssue({ code: 'custom', message: `entry ${n} "${entry.slice(0, 60)}" is not true, false, a hop count, an IP address, a CIDR range or one of ${TRUST_PROXY_NAMES.join(', ')}` });
          return z.NEVER;
        }
      }
      return entries.map(({ entry }) => entry);
    });

const isLoopbackHost = (hostname: string) => {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  return ipaddr.isValid(host) && ipaddr.process(host).range() === 'loopback';
};

/**
 * A URL the service calls (an API base or endpoint): http(s), no credentials (they go in their own
 * secret variable), no query or fragment (paths are appended to it). https:// is enforced for the
 * keys given to httpsUnlessAllowed.
 */
export const outboundUrlEnv = () =>
  z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      url = new URL('invalid:');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must be a URL starting with http:// or https://' });
    else if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not carry a user name or password (credentials have their own variable)' });
    else if (url.search || url.hash || value.includes('?') || value.includes('#')) ctx.addIssue({ code: 'custom', message: 'must not have a query string or fragment' });
  });

export const allowInsecureHttpEnv = () =>
  boolEnv(false).describe('Allows http:// (no TLS) outbound URLs to hosts other than loopback, e.g. stand-ins on another host or an in-cluster AI. Off: only https://, or http:// to 127.0.0.1, ::1 and localhost.');

/**
 * For an env schema's superRefine: the outbound URLs under `keys` must use https://, except to a
 * loopback host, unless ALLOW_INSECURE_HTTP=true.
 */
export const httpsUnlessAllowed = (keys: readonly string[]) => (env: Record<string, unknown>, ctx: z.RefinementCtx) => {
  if (env.ALLOW_INSECURE_HTTP === true) return;
  for (const key of keys) {
    const value = env[key];
    if (typeof value !== 'string' || !value.startsWith('http:')) continue;
    if (!isLoopbackHost(new URL(value).hostname)) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'must use https:// (http:// only to a loopback host, or anywhere with ALLOW_INSECURE_HTTP=true)' });
    }
  }
};

export const BaseEnv = z.object({
  REDIS_URL: urlEnv(['redis:', 'rediss:']).default('redis://127.0.0.1:6379').describe('The Redis that holds the queues and the conversations: `redis://`, or `rediss://` for TLS. A user and password go in the URL, which then counts as a secret.'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]+$/, 'may contain letters, digits, _, - and {} only')
    .default('bridge')
    .describe('Prefix of every Redis key: letters, digits, `_`, `-`, `{` and `}`. All services of one deployment use the same prefix.'),
  REDIS_CLUSTER: boolEnv(false).describe('`true` when `REDIS_URL` names one seed node of a Redis Cluster; `REDIS_PREFIX` must then be a hash tag in braces, such as `{bridge}`.'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info').describe('`error`, `warn`, `info`, `http`, `verbose`, `debug` or `silly`; JSON lines on stdout. `http` adds one line per webhook answer. Personal data stays out of the logs at every level unless `LOG_PII=true`.'),
  LOG_PII: boolEnv(false).describe('Lets phone numbers, message text, profile names and user names into the logs, at every level. Only for a developer\'s machine; secrets stay redacted even then.'),
  CONVERSATION_TTL_HOURS: z.coerce.number({ message: 'must be a number' }).min(0.01, 'must be at least 0.01 (36 seconds)').default(72)
    .describe('Hours every key the bridge stores about a person (transcript, state, order, dedupe, finished jobs) outlives their last activity; fractions allowed (0.5 = 30 minutes). Below 48, a message Braze delivers again after this long is no longer recognised as a duplicate.'),
}).superRefine((env, ctx) => {
  // BullMQ's Lua scripts touch many keys of a queue at once: on a cluster they must share a slot
  if (env.REDIS_CLUSTER && !/^\{[^{}]+\}$/.test(env.REDIS_PREFIX)) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_PREFIX'], message: 'must be a hash tag in braces, such as {bridge}, when REDIS_CLUSTER=true' });
  }
});

/** Job settings shared by the producer (ingest) and the consumer (worker). */
export const QueueEnv = BaseEnv.extend({
  JOB_ATTEMPTS: intEnv(8).describe("Attempts per job, the first one included, before the job stays failed. Each service applies its value to the jobs it adds (the ingest to `reply-generate` jobs and agent API replies, the worker to `reply-send` jobs, the dashboard to agent console replies): set the same in all."),
  JOB_KEEP_COMPLETED: intEnv(1000, 0).describe('Completed jobs kept per queue, for the dashboard; older ones are removed, and none outlives CONVERSATION_TTL_HOURS.'),
  JOB_KEEP_FAILED_DAYS: intEnv(7).describe('Days a failed job is kept, with its reason, for inspection and retry; at most CONVERSATION_TTL_HOURS, since a job holds the customer\'s message.'),
});

/** CONVERSATION_TTL_HOURS in whole seconds, as Redis expiries take them. */
export const conversationTtlSeconds = (env: { CONVERSATION_TTL_HOURS: number }) => Math.ceil(env.CONVERSATION_TTL_HOURS * 3600);

/** Finished jobs hold personal data (message text, identities): none is kept longer than the conversation. */
export function jobRetentionFrom(env: z.infer<typeof QueueEnv>) {
  const ttl = conversationTtlSeconds(env);
  return { attempts: env.JOB_ATTEMPTS, keepCompleted: env.JOB_KEEP_COMPLETED, keepCompletedSeconds: ttl, keepFailedSeconds: Math.min(env.JOB_KEEP_FAILED_DAYS * 86_400, ttl) };
}
