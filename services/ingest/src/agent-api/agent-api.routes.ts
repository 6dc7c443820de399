import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  AgentMessageText, AgentTarget, AppError, UnknownConversationError, badTarget, createSecretCompare, toEventEntry, type AgentDesk,
} from '@bridge/shared';

export interface AgentApiDeps {
  desk: AgentDesk;
  /** AGENT_API_TOKEN: any one of them is accepted (rotation) */
  tokens: string[];
  handoffText: string;
  maxBodyBytes: number;
  /** a 503 instead of a hang when Redis is away */
  requireRedis: () => Promise<void>;
}

class AgentAuthError extends AppError {
  constructor() {
    super('UNAUTHORIZED', 'Missing or wrong agent API token (Authorization: Bearer <AGENT_API_TOKEN>)', { retryable: false, httpStatus: 401 });
  }
}

const AgentName = z.string().trim().min(1).max(100);
const MessageBody = z.object({ message: AgentMessageText, agent_name: AgentName.optional(), message_id: z.string().trim().min(1).max(256).optional() }).passthrough();
const HandoffBody = z.object({ reason: z.string().trim().min(1).max(200).optional(), agent_name: AgentName.optional() }).passthrough();
const ReleaseBody = z.object({ agent_name: AgentName.optional() }).passthrough();

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw badTarget(result.error.issues);
  return result.data;
}

/** Both the body's fields and its conversation, validated before anything is written. */
function target(body: unknown): AgentTarget {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badTarget([{ code: 'custom', path: [], message: 'must be a JSON object', input: body }]);
  return parse(AgentTarget, body);
}

/**
 * The agent API (ingest): hand a conversation to a person, give it back, send an agent's reply,
 * list and read handed-off conversations. Bearer AGENT_API_TOKEN, compared in constant time.
 */
export function createAgentApiRouter(deps: AgentApiDeps): express.Router {
  const checks = deps.tokens.map(createSecretCompare);
  const router = express.Router();
  router.use((req: Request, _res: Response, next: NextFunction) => {
    const auth = req.headers.authorization;
    const token = auth && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : undefined;
    // every token is compared, so the time taken does not tell which one nearly matched
    const results = checks.map((matches) => matches(token));
    if (!results.includes(true)) return next(new AgentAuthError());
    return next();
  });
  router.use((req: Request, _res: Response, next: NextFunction) => {
    if (req.method === 'POST' && !req.is(['application/json', 'application/*+json'])) {
      return next(new AppError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', { retryable: false, httpStatus: 415 }));
    }
    return next();
  });
  router.use(express.json({ limit: deps.maxBodyBytes, strict: true, type: () => true }));
  router.use(async (_req, _res, next) => {
    try {
      await deps.requireRedis();
      next();
    } catch (err) {
      next(err);
    }
  });

  router.post('/messages', async (req, res) => {
    const to = target(req.body);
    const body = parse(MessageBody, req.body);
    const result = await deps.desk.sendMessage(to, { text: body.message, agentName: body.agent_name ?? 'agent', messageId: body.message_id, correlationId: res.locals.requestId as string | undefined });
    res.status(result.status === 'queued' ? 202 : 200).json({ status: result.status, id: result.id, conversation_id: result.conversationId });
  });

  router.post('/handoff', async (req, res) => {
    const to = target(req.body);
    const body = parse(HandoffBody, req.body);
    const h = await deps.desk.handoff(to, { reason: body.reason ?? 'agent_api', by: body.agent_name ?? 'agent_api', notify: deps.handoffText, correlationId: res.locals.requestId as string | undefined });
    res.json({ conversation_id: h.conversationId, owner: 'agent', started: h.started, since: new Date(h.since).toISOString() });
  });

  router.post('/release', async (req, res) => {
    const to = target(req.body);
    const body = parse(ReleaseBody, req.body);
    const r = await deps.desk.release(to, { by: body.agent_name ?? 'agent_api', reason: 'released' });
    res.json({ conversation_id: r.conversationId, owner: 'bot', released: r.released });
  });

  router.get('/conversations', async (_req, res) => {
    res.json({ conversations: await deps.desk.list() });
  });

  router.get('/conversations/:id/messages', async (req, res) => {
    const id = parse(AgentTarget, { conversation_id: req.params.id }).conversation_id!;
    const state = await deps.desk.loadState(id);
    if (!state.recipient) throw new UnknownConversationError(id);
    const messages = (await deps.desk.transcript(id)).map(toEventEntry);
    res.json({ conversation_id: id, owner: state.owner, ...(state.since ? { since: new Date(state.since).toISOString() } : {}), messages });
  });

  return router;
}
