import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express from 'express';
import { createSecretCompare } from '@bridge/shared';
import { maskJobData } from './mask-job-data';

export interface DashboardOptions {
  username: string;
  password: string;
  readOnly: boolean;
  showPii: boolean;
}

/** bull-board over the given queues at `/`, every route behind HTTP Basic auth. */
export function createDashboardApp(queues: Queue[], options: DashboardOptions): express.Express {
  const userMatches = createSecretCompare(options.username);
  const passwordMatches = createSecretCompare(options.password);
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use((req, res, next) => {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    const [user, ...rest] = scheme?.toLowerCase() === 'basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8').split(':') : [];
    const userOk = userMatches(user);
    const passwordOk = passwordMatches(rest.join(':'));
    if (userOk && passwordOk) return next();
    res.setHeader('WWW-Authenticate', 'Basic realm="bridge dashboard", charset="UTF-8"');
    return res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'Dashboard login required' } });
  });

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/');
  const adapters = queues.map((queue) => {
    const adapter = new BullMQAdapter(queue, { readOnlyMode: options.readOnly, allowRetries: !options.readOnly });
    if (!options.showPii) adapter.setFormatter('data', maskJobData);
    return adapter;
  });
  createBullBoard({ queues: adapters, serverAdapter, options: { uiConfig: { boardTitle: 'WhatsApp AI bridge' } } });
  app.use('/', serverAdapter.getRouter());
  return app;
}
