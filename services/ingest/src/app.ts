import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import { AppError, AuthError, createAddressAllowlist, securityHeaders, type AddressRange, type Logger, type TrustProxy } from '@bridge/shared';
import type { AcceptResult } from './domain/accept-inbound-message';
import { toInboundMessage, type InboundMessage, type UnknownSenderRecipient } from './domain/inbound-message';
import { parseWebhookBody } from './domain/parse-webhook-body';
import type { IngestMetrics } from './http/metrics';
import { createSecretCheck } from './http/webhook-auth';

export const WEBHOOK_PATH = '/webhooks/braze/whatsapp';

export interface AppDeps {
  webhookSecrets: readonly string[];
  /** names of the conversation file's routes (lowercase): /webhooks/braze/whatsapp/<route> */
  routes: Set<string>;
  /** the agent API, when AGENT_API_TOKEN is set */
  agentApi?: express.Router;
  maxBodyBytes: number;
  /** WEBHOOK_ALLOWED_CIDRS: where Braze's webhooks may come from; undefined = anywhere */
  allowedCidrs?: readonly AddressRange[];
  trustProxy?: TrustProxy;
  unknownSender: UnknownSenderRecipient;
  log: Logger;
  metrics: IngestMetrics;
  registry: Registry;
  accept: (msg: InboundMessage, correlationId: string, route?: string) => Promise<AcceptResult>;
  isReady: () => Promise<boolean>;
}

const OUTCOME_BY_STATUS: Record<number, string> = { 400: 'invalid', 401: 'unauthorized', 403: 'forbidden', 404: 'unknown_route', 413: 'too_large', 415: 'unsupported', 503: 'unavailable' };

function sendError(res: Response, status: number, code: string, message: string, details?: unknown[]) {
  if (status === 503) res.setHeader('Retry-After', '5');
  res.locals.errorCode = code;
  res.status(status).json({ error: { code, message, ...(details ? { details } : {}) } });
}

/** The Express app, without listen(): tests drive it with supertest on a real queue. */
export function createApp(deps: AppDeps): express.Express {
  const { log, metrics } = deps;
  const isAuthorized = createSecretCheck(deps.webhookSecrets);
  const isAllowedSource = deps.allowedCidrs ? createAddressAllowlist(deps.allowedCidrs) : undefined;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // req.ip: the socket's address, or the client a trusted proxy names in X-Forwarded-For
  app.set('trust proxy', deps.trustProxy ?? false);
  app.use(securityHeaders());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await deps.isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });

  const readBody = express.text({ type: () => true, limit: deps.maxBodyBytes });
  // the label-bound series of the hot path, made once
  const bound = <T>(make: (key: string) => T) => {
    const cache = new Map<string, T>();
    return (key: string | number) => {
      const k = String(key);
      let child = cache.get(k);
      if (!child) cache.set(k, (child = make(k)));
      return child;
    };
  };
  const ackSecondsOf = bound((status) => metrics.ackSeconds.labels({ status }));
  const webhooksOf = bound((outcome) => metrics.webhooks.labels({ outcome }));

  app.post([WEBHOOK_PATH, `${WEBHOOK_PATH}/:route`], (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 64)) || randomUUID();
    res.locals.requestId = requestId;
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      ackSecondsOf(res.statusCode).observe(seconds);
      const outcome = (res.locals.outcome as string | undefined) ?? OUTCOME_BY_STATUS[res.statusCode] ?? 'error';
      webhooksOf(outcome).inc();
      // 5xx answers are logged where their cause is known (the error handler). A refused webhook is
      // a message Braze will not send again: always say so, without its content. Accepted ones get
      // a line only when asked for (LOG_LEVEL=http or lower): this is the hot path.
      if (res.statusCode >= 500) return;
      const level = res.statusCode >= 400 && res.statusCode !== 404 ? 'warn' : 'http';
      if (log.isLevelEnabled(level)) log.log(level, 'webhook answered', { requestId, status: res.statusCode, outcome, code: res.locals.errorCode, address: res.locals.refusedAddress, ms: Math.round(seconds * 1e4) / 10 });
    });
    // Braze's own addresses: other sources are refused before their secret is even looked at
    if (isAllowedSource && !isAllowedSource(req.ip)) {
      res.locals.refusedAddress = req.ip;
      return sendError(res, 403, 'FORBIDDEN_SOURCE', 'Requests from this address are not accepted');
    }
    if (!isAuthorized(req.headers)) return next(new AuthError());
    const route = typeof req.params.route === 'string' ? req.params.route : undefined;
    res.locals.route = route?.toLowerCase();
    if (route !== undefined && !deps.routes.has(route.toLowerCase())) {
      return sendError(res, 404, 'UNKNOWN_ROUTE', `No route "${route.slice(0, 64)}" in the conversation file (CONVERSATION_FILE); the ingest knows: ${[...deps.routes].join(', ') || 'none'}`);
    }
    const type = req.headers['content-type'];
    // the common case without parsing the header; anything else through type-is
    if (type !== 'application/json' && !req.is(['application/json', 'application/*+json'])) {
      return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    }
    return next();
  }, readBody, async (req: Request, res: Response) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const parsed = parseWebhookBody(raw);
    const { inbound, dropped } = toInboundMessage(parsed.fields, deps.unknownSender);
    if (parsed.recovered) {
      metrics.recovered.inc();
      log.warn('webhook message text was not JSON-escaped and was recovered: add "| json_escape" to the message in the Braze webhook template and keep "message" the last field', { requestId: res.locals.requestId });
    }
    // only known field names reach here: never a value, and no label from the body's own keys
    for (const field of [...parsed.dropped, ...dropped]) {
      metrics.droppedFields.inc({ field });
      log.warn(`webhook field ${field} was left out and the message kept: it was not valid JSON, of the wrong type, repeated, or after profile_name; check how the Braze webhook template writes it (| json_escape for text, quotes around Liquid tags)`, { requestId: res.locals.requestId, field });
    }
    const result = await deps.accept(inbound, res.locals.requestId as string, res.locals.route as string | undefined);
    res.locals.outcome = result.status;
    res.status(result.status === 'queued' ? 202 : 200).json(result);
  });

  if (deps.agentApi) app.use('/agent', deps.agentApi);

  app.use((_req, res) => sendError(res, 404, 'NOT_FOUND', 'No such route'));

  // Express 5 passes rejected promises here: one place turns errors into JSON answers
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof AppError && err.httpStatus) {
      if (err.httpStatus >= 500) log.warn('webhook not stored', { requestId: res.locals.requestId, code: err.code, error: err.message, cause: (err.cause as Error | undefined)?.message });
      return sendError(res, err.httpStatus, err.code, err.message, err.details);
    }
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `The body is larger than ${deps.maxBodyBytes} bytes`);
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'The body must be UTF-8 JSON');
    if (type === 'request.aborted') return undefined;
    if (type === 'entity.parse.failed') return sendError(res, 400, 'INVALID_JSON', 'The body is not valid JSON');
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) return sendError(res, status, 'BAD_REQUEST', 'The request could not be read');
    log.error('unexpected error', { requestId: res.locals.requestId, error: err });
    return sendError(res, 500, 'INTERNAL', 'Internal error');
  });
  return app;
}
