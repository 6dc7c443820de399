import { createHmac, randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '@bridge/shared';
import type { DashboardUser } from './accounts';
import type { LoginThrottle } from './login-throttle';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** set by the Basic auth middleware on every request past it */
      user?: DashboardUser;
    }
  }
}

export interface BasicAuthOptions {
  check: (name: string, password: string) => Promise<DashboardUser | undefined>;
  isKnownName: (name: string) => boolean;
  throttle: LoginThrottle;
  log: Logger;
  /** how long good credentials are remembered after their last use, so the UI's polling does not run scrypt each time */
  rememberMs?: number;
  now?: () => number;
}

const REMEMBERED_MAX = 1_000;

function credentials(header: string | undefined): { name: string; password: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function unauthorized(res: Response) {
  res.setHeader('WWW-Authenticate', 'Basic realm="bridge dashboard", charset="UTF-8"');
  res.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'Dashboard login required' } });
}

function tooManyAttempts(res: Response, ms: number) {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  res.setHeader('Retry-After', String(seconds));
  res.status(429).json({ error: { code: 'TOO_MANY_LOGIN_ATTEMPTS', message: `Too many failed logins: try again in ${seconds} seconds` } });
}

/**
 * HTTP Basic auth for every route after it: sets req.user, or answers 401 (with the challenge
 * browsers and bull-board's UI expect) or 429 with Retry-After while the address or the user is
 * blocked after repeated failures. Blocks are checked before the password, so a blocked client
 * learns nothing from its guesses.
 */
export function createBasicAuth(options: BasicAuthOptions) {
  const { check, isKnownName, throttle, log, rememberMs = 5 * 60_000, now = Date.now } = options;
  const processKey = randomBytes(32);
  const remembered = new Map<string, { user: DashboardUser; until: number }>();
  const fingerprint = (name: string, password: string) => createHmac('sha256', processKey).update(name).update('\0').update(password).digest('base64url');

  return async (req: Request, res: Response, next: NextFunction) => {
    const given = credentials(req.headers.authorization);
    if (!given) return unauthorized(res);
    const key = fingerprint(given.name, given.password);
    const known = remembered.get(key);
    if (known && known.until > now()) {
      known.until = now() + rememberMs;
      req.user = known.user;
      return next();
    }

    const waitMs = await throttle.retryAfterMs(req.ip, given.name);
    if (waitMs > 0) return tooManyAttempts(res, waitMs);
    const user = await check(given.name, given.password);
    if (!user) {
      const blockedMs = await throttle.failed(req.ip, given.name);
      // only account names are logged: a password typed into the name field must not reach the log
      const who = { address: req.ip, user: isKnownName(given.name) ? given.name : undefined };
      log.warn(blockedMs ? 'dashboard logins blocked after repeated failures' : 'dashboard login failed', { ...who, ...(blockedMs ? { blockedSeconds: blockedMs / 1000 } : {}) });
      return blockedMs ? tooManyAttempts(res, blockedMs) : unauthorized(res);
    }
    await throttle.succeeded(given.name);
    if (remembered.size >= REMEMBERED_MAX) remembered.clear();
    remembered.set(key, { user, until: now() + rememberMs });
    req.user = user;
    return next();
  };
}
