import { readFileSync } from 'node:fs';
import { AgentDeskEnv, ConfigError, QueueEnv, boolEnv, conversationTtlSeconds, intEnv, jobRetentionFrom, parseEnv, trustProxyEnv, type Env } from '@bridge/shared';
import { z } from 'zod';
import { entriesOfFile, entriesOfVariable, parseAccounts, type Account } from './auth/accounts';

export const DashboardEnv = QueueEnv.extend({
  ...AgentDeskEnv,
  DASHBOARD_PORT: intEnv(3001).describe("The dashboard's port. Compose publishes it on 127.0.0.1 only."),
  DASHBOARD_USERNAME: z.string().min(1).optional().describe('User name of a single admin account (with DASHBOARD_PASSWORD); DASHBOARD_USERS(_FILE) holds more accounts and roles.'),
  DASHBOARD_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional().describe('Password of the DASHBOARD_USERNAME admin, 8+ characters.'),
  DASHBOARD_USERS: z.string().optional().describe('Dashboard accounts as name:scrypt-hash:role entries (role admin or agent), separated by commas or newlines; make an entry with pnpm hash-password.'),
  DASHBOARD_USERS_FILE: z.string().optional().describe('A file of name:scrypt-hash:role entries, one per line (# comments allowed), instead of DASHBOARD_USERS; e.g. a mounted Kubernetes Secret.'),
  DASHBOARD_LOGIN_FAILURES_PER_ADDRESS: intEnv(20).describe('Failed logins from one address (an IPv6 /64) before it gets 429 for DASHBOARD_LOGIN_BLOCK_SECONDS.'),
  DASHBOARD_LOGIN_FAILURES_PER_USER: intEnv(10).describe('Failed logins for one user name, from any address, before it gets 429 for DASHBOARD_LOGIN_BLOCK_SECONDS.'),
  DASHBOARD_LOGIN_BLOCK_SECONDS: intEnv(900).describe('How long failed logins are counted, and how long a block lasts.'),
  TRUST_PROXY: trustProxyEnv().describe('Express trust proxy: false (the socket address is the client), a hop count, or the proxies\' addresses/CIDRs (or loopback, linklocal, uniquelocal) whose X-Forwarded-For is believed.'),
  DASHBOARD_READ_ONLY: boolEnv(false).describe('`true` hides every action: no retry, no remove.'),
  DASHBOARD_SHOW_PII: boolEnv(false).describe('`true` shows job data as stored. Otherwise message text and replies show as `[hidden: N characters]`, ids are shortened to their first and last two characters, and `message_id` is hidden.'),
}).superRefine((env, ctx) => {
  if (env.DASHBOARD_USERS && env.DASHBOARD_USERS_FILE) {
    ctx.addIssue({ code: 'custom', path: ['DASHBOARD_USERS_FILE'], message: 'and DASHBOARD_USERS are both set: use one' });
  }
  if (env.DASHBOARD_USERNAME !== undefined && env.DASHBOARD_PASSWORD === undefined) ctx.addIssue({ code: 'custom', path: ['DASHBOARD_PASSWORD'], message: 'is required with DASHBOARD_USERNAME' });
  if (env.DASHBOARD_PASSWORD !== undefined && env.DASHBOARD_USERNAME === undefined) ctx.addIssue({ code: 'custom', path: ['DASHBOARD_USERNAME'], message: 'is required with DASHBOARD_PASSWORD' });
  if (!env.DASHBOARD_USERS && !env.DASHBOARD_USERS_FILE && env.DASHBOARD_USERNAME === undefined && env.DASHBOARD_PASSWORD === undefined) {
    ctx.addIssue({ code: 'custom', path: ['DASHBOARD_USERS'], message: 'or DASHBOARD_USERS_FILE, or DASHBOARD_USERNAME with DASHBOARD_PASSWORD, is required' });
  }
});

const invalid = (variable: string, problems: string[]) =>
  new ConfigError(`Invalid configuration: ${problems.map((p) => `${variable} ${p}`).join('; ')}`);

/** The accounts of DASHBOARD_USERS or DASHBOARD_USERS_FILE, plus the DASHBOARD_USERNAME admin. */
function loadAccounts(e: z.infer<typeof DashboardEnv>): Account[] {
  let source: { variable: string; accounts: Account[]; problems: string[] } = { variable: 'DASHBOARD_USERS', accounts: [], problems: [] };
  if (e.DASHBOARD_USERS) source = { variable: 'DASHBOARD_USERS', ...parseAccounts(entriesOfVariable(e.DASHBOARD_USERS)) };
  if (e.DASHBOARD_USERS_FILE) {
    let content: string;
    try {
      content = readFileSync(e.DASHBOARD_USERS_FILE, 'utf8');
    } catch (err) {
      throw invalid('DASHBOARD_USERS_FILE', [`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
    }
    source = { variable: 'DASHBOARD_USERS_FILE', ...parseAccounts(entriesOfFile(content)) };
    if (source.problems.length === 0 && source.accounts.length === 0) source.problems.push('holds no account');
  }
  const { variable, accounts, problems } = source;
  if (e.DASHBOARD_USERNAME !== undefined && e.DASHBOARD_PASSWORD !== undefined) {
    if (accounts.some((a) => a.name === e.DASHBOARD_USERNAME)) problems.push('has an account named like DASHBOARD_USERNAME: keep one of them');
    else accounts.push({ name: e.DASHBOARD_USERNAME, role: 'admin', password: e.DASHBOARD_PASSWORD });
  }
  if (problems.length) throw invalid(variable, problems);
  return accounts;
}

export function loadConfig(env: Env) {
  const e = parseEnv(DashboardEnv, env);
  return {
    port: e.DASHBOARD_PORT,
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER,
    prefix: e.REDIS_PREFIX,
    logLevel: e.LOG_LEVEL,
    logPii: e.LOG_PII,
    accounts: loadAccounts(e),
    login: { failuresPerAddress: e.DASHBOARD_LOGIN_FAILURES_PER_ADDRESS, failuresPerUser: e.DASHBOARD_LOGIN_FAILURES_PER_USER, blockSeconds: e.DASHBOARD_LOGIN_BLOCK_SECONDS },
    trustProxy: e.TRUST_PROXY,
    readOnly: e.DASHBOARD_READ_ONLY,
    showPii: e.DASHBOARD_SHOW_PII,
    agentConsole: { ttlSeconds: conversationTtlSeconds(e), handoffText: e.AGENT_HANDOFF_TEXT, jobs: jobRetentionFrom(e) },
  };
}
export type DashboardConfig = ReturnType<typeof loadConfig>;
