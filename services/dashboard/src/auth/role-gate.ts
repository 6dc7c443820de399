import type { NextFunction, Request, Response } from 'express';

/** Where the agent console lives: its page and its API. */
export const CONSOLE_PATH = '/agent';

export const isConsolePath = (path: string) => path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);

/** After Basic auth: admin reaches everything, agent only the console (403 JSON elsewhere). */
export function roleGate(req: Request, res: Response, next: NextFunction) {
  if (req.user?.role === 'admin' || (req.user?.role === 'agent' && isConsolePath(req.path))) return next();
  return res.status(403).json({ error: { code: 'FORBIDDEN', message: `This account may use the agent console (${CONSOLE_PATH}) only` } });
}

/** Mounts a handler for admins only, so nothing of it (bull-board's catch-all pages) answers an agent. */
export const adminOnly = (handler: (req: Request, res: Response, next: NextFunction) => void) =>
  (req: Request, res: Response, next: NextFunction) => (req.user?.role === 'admin' ? handler(req, res, next) : next());
