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

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * The headers helmet sets for this policy, asked of it once: they depend on nothing of the request,
 * and running helmet's dozen middlewares on every webhook costs the hot path more than the headers do.
 */
function headersOf(middleware: Middleware): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const res = {
    setHeader: (name: string, value: string | number | string[]) => { headers.push([name, String(value)]); return res; },
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  middleware({ headers: {}, method: 'GET', url: '/' } as IncomingMessage, res as unknown as ServerResponse, () => undefined);
  return headers;
}

/**
 * helmet's headers (nosniff, frame and referrer policies, HSTS, cross-origin isolation headers)
 * with the given content security policy and nothing of helmet's default one, so each policy is
 * read in one place. Works as Express middleware and on a bare node:http server.
 */
export function securityHeaders(csp: CspDirectives = API_CSP): Middleware {
  // a JSON API needs none of the headers that only govern HTML documents (and each header is
  // paid for on every webhook): the content policy, nosniff, framing, referrer, HSTS and CORP stay
  const api = csp === API_CSP;
  const documentOnly = api ? { crossOriginOpenerPolicy: false, originAgentCluster: false, xDnsPrefetchControl: false, xDownloadOptions: false, xPermittedCrossDomainPolicies: false, xXssProtection: false } : {};
  const headers = headersOf(helmet({ contentSecurityPolicy: { useDefaults: false, directives: csp }, ...documentOnly }) as Middleware);
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
