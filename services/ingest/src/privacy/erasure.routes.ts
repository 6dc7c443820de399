import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError, ValidationError, createSecretCompare, type ErasePerson, type Logger } from '@bridge/shared';

export interface ErasureApiDeps {
  erase: ErasePerson;
  /** ADMIN_API_TOKEN: any one of them is accepted (rotation) */
  tokens: readonly string[];
  requireRedis: () => Promise<void>;
  log: Logger;
}

/** Braze's external ids and braze_ids are far shorter; anything longer is not an id. */
const MAX_ID_LENGTH = 512;

class AdminAuthError extends AppError {
  constructor() {
    super('UNAUTHORIZED', 'Missing or wrong admin API token (Authorization: Bearer <ADMIN_API_TOKEN>)', { retryable: false, httpStatus: 401 });
  }
}

const invalidId = (problem: string) => new ValidationError('INVALID_ID', `The user id ${problem}`, [{ field: 'id', problem }]);

/**
 * DELETE /users/<id>/data: erases everything the bridge keeps about one person (an external id, a
 * braze_id, or the phone number of an alias-only sender), answers what it removed. Repeating it is
 * harmless and answers zeros. Bearer ADMIN_API_TOKEN, compared in constant time.
 */
export function createErasureRouter(deps: ErasureApiDeps): express.Router {
  const isAdmin = createSecretCompare(deps.tokens);
  const router = express.Router();
  const authorize = (req: Request, _res: Response, next: NextFunction) => {
    const auth = req.headers.authorization;
    const token = auth && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : undefined;
    return isAdmin(token) ? next() : next(new AdminAuthError());
  };
  // an empty id leaves a path Express would not match as /users/:id/data: it gets its own answer
  router.delete('/users//data', authorize, () => { throw invalidId('must not be empty'); });
  router.delete('/users/:id/data', authorize, async (req: Request, res: Response) => {
    const id = String(req.params.id).trim();
    if (id === '') throw invalidId('must not be empty');
    if (id.length > MAX_ID_LENGTH) throw invalidId(`must be at most ${MAX_ID_LENGTH} characters`);
    await deps.requireRedis();
    const report = await deps.erase(id);
    const jobs = Object.values(report.jobs).reduce((a, b) => a + b, 0);
    const active = Object.keys(report.active).length > 0;
    // never the id itself: the log must not say whom this was about
    deps.log.info('personal data erased', { keys: report.keys, jobs, ...(active ? { stillActive: report.active } : {}) });
    res.json({
      removed: { keys: report.keys, jobs: report.jobs },
      ...(active ? { active: report.active, message: 'Some of their jobs were still running: repeat the request once they have finished' } : {}),
    });
  });
  return router;
}
