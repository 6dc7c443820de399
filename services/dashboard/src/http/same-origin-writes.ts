import type { NextFunction, Request, Response } from 'express';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Browsers send cached Basic credentials with cross-site requests too, so a page elsewhere could
 * retry or delete jobs in an operator's name. Browsers also send Origin on every cross-origin write,
 * so a write whose Origin is not this host (as the proxies trusted by TRUST_PROXY report it) is
 * refused. Clients that send no Origin (curl, scripts) pass.
 */
export function sameOriginWrites(req: Request, res: Response, next: NextFunction) {
  const origin = req.headers.origin;
  if (SAFE_METHODS.has(req.method) || origin === undefined) return next();
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host !== undefined && host === req.host) return next();
  return res.status(403).json({ error: { code: 'CROSS_ORIGIN_WRITE', message: 'Writes from another site are refused' } });
}
