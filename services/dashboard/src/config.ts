import { BaseEnv, boolEnv, intEnv, parseEnv, type Env } from '@bridge/shared';
import { z } from 'zod';

export const DashboardEnv = BaseEnv.extend({
  DASHBOARD_PORT: intEnv(3001).describe("The dashboard's port. Compose publishes it on 127.0.0.1 only."),
  DASHBOARD_USERNAME: z.string().min(1).describe('HTTP Basic auth user for the whole dashboard.'),
  DASHBOARD_PASSWORD: z.string().min(8, 'must be at least 8 characters').describe('HTTP Basic auth password.'),
  DASHBOARD_READ_ONLY: boolEnv(false).describe('`true` hides every action: no retry, no remove.'),
  DASHBOARD_SHOW_PII: boolEnv(false).describe('`true` shows job data as stored. Otherwise message text and replies show as `[hidden: N characters]`, ids are shortened to their first and last two characters, and `message_id` is hidden.'),
});

export function loadConfig(env: Env) {
  const e = parseEnv(DashboardEnv, env);
  return {
    port: e.DASHBOARD_PORT,
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER,
    prefix: e.REDIS_PREFIX,
    logLevel: e.LOG_LEVEL,
    username: e.DASHBOARD_USERNAME,
    password: e.DASHBOARD_PASSWORD,
    readOnly: e.DASHBOARD_READ_ONLY,
    showPii: e.DASHBOARD_SHOW_PII,
  };
}
export type DashboardConfig = ReturnType<typeof loadConfig>;
