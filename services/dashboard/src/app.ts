import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type NextFunction, type Request, type Response } from 'express';
import { securityHeaders, type Logger, type TrustProxy } from '@bridge/shared';
import { createAccountCheck, type Account } from './auth/accounts';
import { createBasicAuth } from './auth/basic-auth';
import type { LoginThrottle } from './auth/login-throttle';
import { CONSOLE_PATH, adminOnly, roleGate } from './auth/role-gate';
import { DASHBOARD_CSP } from './http/content-security-policy';
import { sameOriginWrites } from './http/same-origin-writes';
import { maskJobData } from './mask-job-data';

export interface DashboardOptions {
  accounts: readonly Account[];
  readOnly: boolean;
  showPii: boolean;
  trustProxy?: TrustProxy;
}

export interface DashboardDeps {
  throttle: LoginThrottle;
  log: Logger;
  /** the agent console (console/agent-console.ts), for admins and agents */
  agentConsole?: express.Router;
}

const JSON_BODY_LIMIT = '64kb';

function sendError(res: Response, status: number, code: string, message: string) {
  res.status(status).json({ error: { code, message } });
}

/**
 * bull-board over the given queues at `/` for admins, the agent console at /agent for admins and
 * agents (agents reach nothing else), every route but /healthz behind HTTP Basic auth.
 */
export function createDashboardApp(queues: Queue[], options: DashboardOptions, deps: DashboardDeps): express.Express {
  const { log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
  app.use(securityHeaders(DASHBOARD_CSP));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const names = new Set(options.accounts.map((a) => a.name));
  app.use(createBasicAuth({ check: createAccountCheck(options.accounts), isKnownName: (n) => names.has(n), throttle: deps.throttle, log }));
  app.use(roleGate);
  app.use(sameOriginWrites);
  // parsed here, so bull-board's own parser (no limit of ours) finds the body read
  app.use(express.json({ limit: JSON_BODY_LIMIT }));
  if (deps.agentConsole) app.use(CONSOLE_PATH, deps.agentConsole);

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/');
  const adapters = queues.map((queue) => {
    const adapter = new BullMQAdapter(queue, { readOnlyMode: options.readOnly, allowRetries: !options.readOnly });
    if (!options.showPii) adapter.setFormatter('data', maskJobData);
    return adapter;
  });
  createBullBoard({ queues: adapters, serverAdapter, options: { uiConfig: { boardTitle: 'WhatsApp AI bridge' } } });
  // bull-board answers its own errors with err.message; ours say nothing of the cause
  serverAdapter.setErrorHandler((err: Error & { statusCode?: number }) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) log.error('dashboard API error', { error: err });
    const body = { error: { key: 'ERRORS.INTERNAL_SERVER_ERROR' }, message: status >= 500 ? 'Internal error' : 'The request was refused' };
    return { status, body } as ReturnType<Parameters<typeof serverAdapter.setErrorHandler>[0]>;
  });
  const board = serverAdapter.getRouter() as express.Express;
  board.disable('x-powered-by');
  app.use(adminOnly(board));

  app.use((_req, res) => sendError(res, 404, 'NOT_FOUND', 'No such route'));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `The body is larger than ${JSON_BODY_LIMIT}`);
    if (type === 'entity.parse.failed') return sendError(res, 400, 'INVALID_JSON', 'The body is not valid JSON');
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) return sendError(res, status, 'BAD_REQUEST', 'The request could not be read');
    log.error('unexpected error', { error: err });
    return sendError(res, 500, 'INTERNAL', 'Internal error');
  });
  return app;
}
