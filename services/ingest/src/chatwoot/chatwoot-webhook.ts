import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Queue } from 'bullmq';
import { AppError, DependencyUnavailableError, JOB, ValidationError, createAddressAllowlist, type AddressRange, type Logger, type RedisClient } from '@bridge/shared';
import { requireRedis, withDeadline } from '../domain/accept-inbound-message';
import type { IngestMetrics } from '../http/metrics';
import { createChatwootAuth } from './chatwoot-auth';
import { relayOf } from './relay-filter';

export const CHATWOOT_WEBHOOK_PATH = '/webhooks/chatwoot';

/**
 * Chatwoot's payloads carry the conversation besides the message, and a message may be long (the
 * agent sees a refusal as a failed mark, and we would rather tell why in a note): a limit of its own.
 */
const MAX_BODY_BYTES = 1024 * 1024;
/** A Chatwoot message id is remembered this long; Chatwoot's duplicates come seconds apart. */
const DEDUPE_TTL_SECONDS = 48 * 3600;
/** Redis gets this long per step: Chatwoot gives up after 5 s and never sends the webhook again. */
const STEP_DEADLINE_MS = 900;

export interface ChatwootWebhookDeps {
  secrets?: readonly string[];
  tokens?: readonly string[];
  /** CHATWOOT_ALLOWED_CIDRS; undefined = any address */
  allowedCidrs?: readonly AddressRange[];
  redis: RedisClient;
  queue: Queue;
  prefix: string;
  log: Logger;
  metrics: IngestMetrics;
  clock?: () => number;
}

const OUTCOME_BY_STATUS: Record<number, string> = { 400: 'invalid', 401: 'unauthorized', 403: 'forbidden', 413: 'too_large', 415: 'unsupported', 503: 'unavailable' };

const header = (req: Request, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * POST /webhooks/chatwoot[/<CHATWOOT_WEBHOOK_TOKEN>]: the API inbox's webhook. Checked on the raw
 * bytes, filtered on the payload alone, stored as a chatwoot-inbound job and answered at once:
 * Chatwoot waits 5 s and never retries an API-inbox webhook. Answers 200 {status: queued | duplicate | ignored}.
 */
export function createChatwootWebhookRouter(deps: ChatwootWebhookDeps): express.Router {
  const clock = deps.clock ?? Date.now;
  const authorize = createChatwootAuth({ secrets: deps.secrets, tokens: deps.tokens, clock });
  const isAllowedSource = deps.allowedCidrs ? createAddressAllowlist(deps.allowedCidrs) : () => true;
  const router = express.Router();

  async function store(jobId: string, job: unknown): Promise<'queued' | 'duplicate'> {
    await requireRedis(deps.redis);
    const seen = `${deps.prefix}:chatwoot:seen:${jobId}`;
    let fresh: string | null;
    try {
      fresh = await withDeadline(deps.redis.set(seen, '1', 'EX', DEDUPE_TTL_SECONDS, 'NX'), STEP_DEADLINE_MS);
    } catch (err) {
      throw new DependencyUnavailableError('Redis is unavailable; the webhook was not stored', err);
    }
    if (fresh === null) return 'duplicate';
    try {
      await withDeadline(deps.queue.add(JOB.chatwootEvent, job, { jobId }), STEP_DEADLINE_MS);
    } catch (err) {
      await deps.redis.del(seen).catch(() => undefined);
      throw new DependencyUnavailableError('Redis is unavailable; the webhook was not stored', err);
    }
    return 'queued';
  }

  router.post([CHATWOOT_WEBHOOK_PATH, `${CHATWOOT_WEBHOOK_PATH}/:token`], (req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => {
      const outcome = (res.locals.outcome as string | undefined) ?? OUTCOME_BY_STATUS[res.statusCode] ?? 'error';
      deps.metrics.chatwootWebhooks.inc({ outcome });
      if (res.statusCode >= 400 && res.statusCode < 500) deps.log.warn('chatwoot webhook refused', { status: res.statusCode, code: res.locals.errorCode, address: res.locals.refusedAddress });
    });
    if (!isAllowedSource(req.ip)) {
      res.locals.refusedAddress = req.ip;
      return next(new AppError('FORBIDDEN_SOURCE', 'Requests from this address are not accepted', { retryable: false, httpStatus: 403 }));
    }
    return next();
  }, express.raw({ type: () => true, limit: MAX_BODY_BYTES }), async (req: Request, res: Response) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const auth = authorize({
      raw,
      signature: header(req, 'x-chatwoot-signature'),
      timestamp: header(req, 'x-chatwoot-timestamp'),
      pathToken: typeof req.params.token === 'string' ? req.params.token : undefined,
    });
    if (!auth.ok) throw new AppError(auth.code, auth.message, { retryable: false, httpStatus: 401 });
    if (!req.is(['application/json', 'application/*+json'])) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', { retryable: false, httpStatus: 415 });
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ValidationError('INVALID_JSON', 'The body is not valid JSON');
    }
    const delivery = header(req, 'x-chatwoot-delivery');
    const deliveryKey = delivery && /^[A-Za-z0-9-]{1,64}$/.test(delivery) ? delivery : createHash('sha256').update(raw).digest('hex').slice(0, 32);
    const decision = relayOf(payload, { receivedAt: clock(), deliveryKey });
    if (decision.action === 'invalid') {
      throw new ValidationError('INVALID_PAYLOAD', `Not a Chatwoot webhook the bridge can read: ${decision.details.map((d) => `${d.field} ${d.problem}`).join('; ')}`, decision.details);
    }
    if (decision.action === 'ignore') {
      res.locals.outcome = 'ignored';
      res.json({ status: 'ignored', reason: decision.reason });
      return;
    }
    const status = await store(decision.jobId, decision.job);
    res.locals.outcome = status;
    res.json({ status, id: decision.jobId });
  });
  router.use((err: unknown, _req: Request, _res: Response, next: NextFunction) => {
    if ((err as { type?: string }).type === 'entity.too.large') {
      return next(new AppError('PAYLOAD_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes`, { retryable: false, httpStatus: 413 }));
    }
    return next(err);
  });
  return router;
}
