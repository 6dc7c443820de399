import { BaseEnv, boolEnv, intEnv, parseEnv, type Env } from '@bridge/shared';
import { z } from 'zod';

const DashboardEnv = BaseEnv.extend({
  DASHBOARD_PORT: intEnv(3001),
  DASHBOARD_USERNAME: z.string().min(1),
  DASHBOARD_PASSWORD: z.string().min(8, 'must be at least 8 characters'),
  DASHBOARD_READ_ONLY: boolEnv(false),
  DASHBOARD_SHOW_PII: boolEnv(false),
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
