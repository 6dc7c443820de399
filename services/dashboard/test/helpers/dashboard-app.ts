import type { Queue } from 'bullmq';
import { DEFAULT_HANDOFF_TEXT, type RedisClient } from '@bridge/shared';
import { createDashboardApp, type DashboardOptions } from '../../src/app';
import type { Account } from '../../src/auth/accounts';
import { createLoginThrottle, type LoginLimits } from '../../src/auth/login-throttle';
import { hashPassword, parsePasswordHash } from '../../src/auth/password-hash';
import { createAgentConsole, type AgentConsoleOptions } from '../../src/console/agent-console';
import { captureLogger } from '../../../../test/helpers/capture-logger';

/** The DASHBOARD_USERNAME/PASSWORD admin and a DASHBOARD_USERS agent. */
export const ADMIN = { name: 'ops', password: 'dashboard-pass' };
export const AGENT = { name: 'ada', password: 'agent-password-1' };
export const basic = (user: { name: string; password: string }) => `Basic ${Buffer.from(`${user.name}:${user.password}`).toString('base64')}`;

let agentAccount: Promise<Account> | undefined;
/** a cheap scrypt cost: the checks are the same at any cost */
const agent = () => (agentAccount ??= hashPassword(AGENT.password, { N: 1024, r: 8, p: 1 }).then((h) => ({ name: AGENT.name, role: 'agent' as const, hash: parsePasswordHash(h)! })));

/** The dashboard app as main.ts builds it, on the given queues, with its login throttle on `redis`. */
export async function makeDashboard(queues: Queue[], redis: RedisClient, prefix: string, options: Partial<DashboardOptions> & { login?: Partial<LoginLimits>; agentConsole?: Parameters<typeof createDashboardApp>[2]['agentConsole'] } = {}) {
  const logs = captureLogger();
  const throttle = createLoginThrottle(redis, prefix, { failuresPerAddress: 20, failuresPerUser: 10, blockSeconds: 900, ...options.login });
  const accounts: Account[] = [{ name: ADMIN.name, role: 'admin', password: ADMIN.password }, await agent()];
  const app = createDashboardApp(queues, { accounts, readOnly: false, showPii: false, ...options }, { throttle, log: logs.log, agentConsole: options.agentConsole });
  return { app, logs, throttle };
}

/**
 * The dashboard with its agent console, as main.ts builds it: the console's desk on `redis` and
 * its live feed on `subscriber` (a connection of its own). close() ends the console's streams and queues.
 */
export async function makeConsoleDashboard(queues: Queue[], redis: RedisClient, subscriber: RedisClient, prefix: string, options: Partial<AgentConsoleOptions> = {}) {
  const consoleLogs = captureLogger();
  const agentConsole = createAgentConsole(redis, subscriber, {
    prefix, ttlSeconds: 3600, handoffText: DEFAULT_HANDOFF_TEXT, jobs: { attempts: 3, keepCompleted: 100, keepCompletedSeconds: 3600, keepFailedSeconds: 3600 }, ...options,
  }, consoleLogs.log);
  await agentConsole.feed.ready();
  const dashboard = await makeDashboard(queues, redis, prefix, { agentConsole: agentConsole.router });
  return { ...dashboard, consoleLogs, feed: agentConsole.feed, close: () => agentConsole.close() };
}
