import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

export type CspDirectives = Record<string, string[]>;

/** For listeners that answer JSON and metrics only: nothing may load, run or frame them. */
export const API_CSP: CspDirectives = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * helmet's headers (nosniff, frame and referrer policies, HSTS, cross-origin isolation headers)
 * with the given content security policy and nothing of helmet's default one, so each policy is
 * read in one place. Works as Express middleware and on a bare node:http server.
 */
export function securityHeaders(csp: CspDirectives = API_CSP): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  return helmet({ contentSecurityPolicy: { useDefaults: false, directives: csp } });
}
