import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What the guard says of a request: 200 to serve it, else the status and why. */
export interface GuardVerdict {
  readonly status: 200 | 403 | 415;
  readonly reason: string;
  /** The request named this server but brought no token (a reload of the page): it may have the entry page, nothing else. */
  readonly tokenless: boolean;
}

/** The checks every dashboard request passes. */
export interface DashboardGuard {
  check(request: IncomingMessage): GuardVerdict;
}

const sameSecret = (given: string, token: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * The dashboard's rules, as Jupyter's server has them: the Host must name this server (a page
 * on another name that resolves here, DNS rebinding, is refused); the token must come in the
 * address or an `X-Rxgrad-Token` header, never a cookie (a browser sends a host's cookies to every
 * port of it, so any other local server would receive the token); a POST must be
 * `application/json` (which no cross-site form or `no-cors` fetch can send) and, when the browser
 * says where it comes from, come from this server's own origin.
 *
 * @example
 * import { createServer } from 'node:http';
 * const guard = dashboardGuard({ token: 'k3y', port: 8080, hostNames: ['127.0.0.1', 'localhost', '[::1]'] });
 * createServer((request, response) => {
 *   const { status, reason } = guard.check(request);
 *   response.writeHead(status).end(reason);
 * });
 */
export function dashboardGuard({
  token,
  port,
  hostNames,
}: {
  readonly token: string;
  readonly port: number;
  readonly hostNames: readonly string[];
}): DashboardGuard {
  const hosts = new Set(hostNames.flatMap((name) => [`${name}:${port}`, ...(port === 80 ? [name] : [])]));
  const refuse = (status: 403 | 415, reason: string, tokenless = false): GuardVerdict => ({ status, reason, tokenless });
  return {
    check(request) {
      const host = (request.headers.host ?? '').toLowerCase();
      if (!hosts.has(host))
        return refuse(
          403,
          `this dashboard answers only to ${[...hosts][0]} (and the machine's other names for itself); the request named '${host}'`,
        );
      const url = new URL(request.url ?? '/', 'http://localhost');
      const fromQuery = url.searchParams.get('token');
      const header = request.headers['x-rxgrad-token'];
      const given = fromQuery ?? (typeof header === 'string' ? header : undefined);
      if (given === undefined) return refuse(403, 'this dashboard needs its token: open the address rxgrad printed (…/?token=…)', true);
      if (!sameSecret(given, token)) return refuse(403, 'wrong token: open the address rxgrad printed (…/?token=…)');
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        const origin = request.headers.origin;
        if (origin !== undefined && origin.toLowerCase() !== `http://${host}`)
          return refuse(403, `a control must come from this dashboard's own page, not from ${origin}`);
        const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'application/json') return refuse(415, `a control is sent as Content-Type: application/json, not '${type}'`);
      }
      return { status: 200, reason: '', tokenless: false };
    },
  };
}
