import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  AgentMessageText, AgentTarget, AppError, ConversationId, UnknownConversationError, badTarget, identityOf,
  isConnectionError, toEventEntry, type AgentDesk, type Logger,
} from '@bridge/shared';
import type { AgentFeed } from './agent-feed';

export interface ConsoleRouterDeps {
  desk: AgentDesk;
  feed: AgentFeed;
  /** AGENT_HANDOFF_TEXT: what the customer is told once when someone takes over from the console */
  handoffText: string;
  /** a 503 instead of a hang when Redis is away */
  requireRedis: () => Promise<void>;
  log: Logger;
}

/**
 * The page and its assets, read from the sources (they need no build): the same path from
 * src/console and dist/console. package.json "files" ships them with the deployed package.
 */
export const CONSOLE_STATIC_DIR = path.resolve(__dirname, '../../src/console/static');

const MessageBody = z.object({ message: AgentMessageText, message_id: z.string().trim().min(1).max(256).optional() }).passthrough();
const HandoffBody = z.object({ reason: z.string().trim().min(1).max(200).optional() }).passthrough();

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw badTarget(result.error.issues);
  return result.data;
}

function target(body: unknown): AgentTarget {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badTarget([{ code: 'custom', path: [], message: 'must be a JSON object', input: body }]);
  return parse(AgentTarget, body);
}

const sendError = (res: Response, status: number, code: string, message: string, details?: unknown[]) =>
  res.status(status).json({ error: { code, message, ...(details ? { details } : {}) } });

/**
 * The agent console at /agent: the page, and its API at /agent/api (the agent API's operations,
 * as the signed-in dashboard user: that user's name is the agent name on every reply).
 */
export function createConsoleRouter(deps: ConsoleRouterDeps): express.Router {
  const { desk, feed, log } = deps;
  const agentName = (req: Request) => req.user!.name;
  const router = express.Router();

  router.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(CONSOLE_STATIC_DIR, 'index.html'));
  });
  router.use('/static', express.static(CONSOLE_STATIC_DIR, { index: false, maxAge: 0 }));

  const api = express.Router();
  api.use((req, _res, next) => {
    if (req.method === 'POST' && !req.is('application/json')) {
      return next(new AppError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', { retryable: false, httpStatus: 415 }));
    }
    return next();
  });

  api.get('/session', (req, res) => {
    res.json({ name: req.user!.name, role: req.user!.role });
  });

  // the stream needs no Redis of its own request: it waits on the process's subscription
  api.get('/events', (req, res) => feed.stream(req, res));

  api.use(async (_req, _res, next) => {
    try {
      await deps.requireRedis();
      next();
    } catch (err) {
      next(err);
    }
  });

  api.get('/conversations', async (_req, res) => {
    res.json({ conversations: await desk.list() });
  });

  api.get('/conversations/:id/messages', async (req, res) => {
    const id = parse(z.object({ conversation_id: ConversationId }), { conversation_id: req.params.id }).conversation_id;
    const state = await desk.loadState(id);
    if (!state.recipient) throw new UnknownConversationError(id);
    const messages = (await desk.transcript(id)).map(toEventEntry);
    res.json({
      conversation_id: id,
      owner: state.owner,
      ...identityOf(state),
      ...(state.contact?.name ? { profile_name: state.contact.name } : {}),
      ...(state.since ? { since: new Date(state.since).toISOString() } : {}),
      ...(state.reason ? { reason: state.reason } : {}),
      ...(state.agentName ? { agent_name: state.agentName } : {}),
      unanswered: state.unanswered,
      messages,
    });
  });

  api.post('/messages', async (req, res) => {
    const to = target(req.body);
    const body = parse(MessageBody, req.body);
    const result = await desk.sendMessage(to, { text: body.message, agentName: agentName(req), messageId: body.message_id });
    res.status(result.status === 'queued' ? 202 : 200).json({ status: result.status, id: result.id, conversation_id: result.conversationId });
  });

  api.post('/handoff', async (req, res) => {
    const to = target(req.body);
    const body = parse(HandoffBody, req.body);
    const h = await desk.handoff(to, { reason: body.reason ?? 'agent_console', by: agentName(req), notify: deps.handoffText });
    res.json({ conversation_id: h.conversationId, owner: 'agent', started: h.started, since: new Date(h.since).toISOString() });
  });

  api.post('/release', async (req, res) => {
    const to = target(req.body);
    const r = await desk.release(to, { by: agentName(req), reason: 'released' });
    res.json({ conversation_id: r.conversationId, owner: 'bot', released: r.released });
  });

  api.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof AppError && err.httpStatus) {
      if (err.httpStatus === 503) res.setHeader('Retry-After', '5');
      return sendError(res, err.httpStatus, err.code, err.message, err.details);
    }
    // a blink mid-request: the fail-fast connection rejects instead of waiting
    if (err instanceof Error && (isConnectionError(err) || err.name === 'MaxRetriesPerRequestError' || /Stream isn't writeable|Connection is closed|Command timed out/.test(err.message))) {
      log.warn('agent console request failed: Redis is unavailable', { error: err.message });
      res.setHeader('Retry-After', '5');
      return sendError(res, 503, 'DEPENDENCY_UNAVAILABLE', 'Redis is unavailable; try again shortly');
    }
    return next(err);
  });
  router.use('/api', api);
  return router;
}
