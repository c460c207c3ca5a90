import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { UsageError } from '../errors.js';
import { dashboardEntryPage, reportPage } from '../report/page.js';
import { type DashboardGuard, dashboardGuard } from './guard.js';

/** What a dashboard shows and, for a babysat run, what it can steer. */
export interface DashboardSource {
  readonly title: string;
  /** The page's body as it is now: the same views as `rxgrad report`. */
  body(): Promise<string> | string;
  /** Carries out a control from the page (babysit); resolves to a line for the page to show. */
  control?(control: Readonly<Record<string, unknown>>): Promise<string> | string;
}

/** Where a dashboard listens and who may use it. */
export interface DashboardOptions {
  /** 0 (the default) takes a free port. */
  readonly port?: number;
  /**
   * The address to listen on, 127.0.0.1 unless told otherwise; requests must name it (or, for a
   * loopback address, 127.0.0.1, localhost or [::1]) in their Host header. 0.0.0.0 or :: listen on
   * every interface and accept the machine's own IP addresses as Host.
   */
  readonly host?: string;
  /** The secret every request must carry; a fresh 256-bit one when not given. */
  readonly token?: string;
}

/** A running dashboard. */
export interface Dashboard {
  /** The address to open, with its token: `http://127.0.0.1:PORT/?token=…`. */
  readonly url: string;
  /** Where it listens, without the token. */
  readonly origin: string;
  /** Tells every open page that there is something new (they fetch the body again). */
  notify(message: string): void;
  /** Tells the pages the run has ended; the server keeps serving the final state until closed. */
  end(message: string): void;
  /**
   * Stops serving; the run it shows is not affected. After `end`, it first waits until each page
   * that was open has fetched the final state and closed its event stream (for at most
   * `FINAL_STATE_MS`), so that none is left showing an older one.
   */
  close(): Promise<void>;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** How long a closing dashboard waits for its open pages to fetch the final state. */
export const FINAL_STATE_MS = 3000;

/** The host names (without port) a Host header may carry for a server bound to `bound`. */
function acceptedHostNames(bound: string): string[] {
  const loopback = ['127.0.0.1', 'localhost', '[::1]'];
  if (WILDCARDS.has(bound)) {
    const own = Object.values(networkInterfaces()).flatMap((addresses) =>
      (addresses ?? []).map((a) => (a.family === 'IPv6' ? `[${a.address}]` : a.address)),
    );
    return [...new Set([...loopback, ...own])];
  }
  const named = bound.includes(':') && !bound.startsWith('[') ? `[${bound}]` : bound;
  return named === '127.0.0.1' || named === 'localhost' || named === '[::1]' ? loopback : [named.toLowerCase()];
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

/**
 * Serves a live view of a run or a study on `http://HOST:PORT` (127.0.0.1 unless told otherwise;
 * port 0 picks a free one): the page is the report's views, redrawn on the server, and each page
 * reloads its body when the server sends an event (Server-Sent Events on `/events`); a babysat
 * run's page has buttons that POST controls to `/control`. A reload shows the whole history so far.
 *
 * Only whoever holds the token can see or steer it, as with Jupyter: the address printed at start
 * carries it (`/?token=…`); the page keeps it in its tab (sessionStorage, which is per port, unlike
 * a cookie), takes it out of the address bar, and sends it as a header (and in the event stream's
 * address). A reload gets an entry page that finds it there. Every request needs the token, a Host header that names this
 * server (against DNS rebinding), and a control also `Content-Type: application/json` and, when
 * the browser sends one, this server's Origin (against cross-site requests). Pages run only their
 * own script (a Content-Security-Policy nonce). Errors in serving a page stay in that response:
 * they never reach the run.
 *
 * @example
 * const dashboard = await startDashboard({ title: 'runs/a', body: () => '<p>epoch 3 of 20</p>' }, { port: 8080 });
 * console.error(`dashboard: ${dashboard.url}`);
 * dashboard.notify('epoch 3');
 */
export async function startDashboard(source: DashboardSource, options: DashboardOptions = {}): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const token = options.token ?? randomBytes(32).toString('base64url');
  const clients = new Set<ServerResponse>();
  let last: { event: string; data: string } | undefined;
  let guard: DashboardGuard | undefined;
  // After end: the pages still open (each closes its event stream once it has the final state), and who waits for them.
  const closingPages = new Set<ServerResponse>();
  let pagesClosed: (() => void) | undefined;
  const send = (response: ServerResponse, event: string, data: string) =>
    response.write(`event: ${event}\ndata: ${data.replace(/\n/g, ' ')}\n\n`);
  const reply = (response: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}) => {
    response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...headers });
    response.end(text);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const verdict = guard!.check(request);
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (verdict.tokenless && request.method === 'GET' && url.pathname === '/') {
      // A reload, once the page took the token out of the address: the entry page finds it in this tab.
      const nonce = randomBytes(16).toString('base64');
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': pagePolicy(nonce),
      });
      response.end(dashboardEntryPage(nonce));
      return;
    }
    if (verdict.status !== 200) return reply(response, verdict.status, verdict.reason);
    if (request.method === 'GET' && url.pathname === '/') {
      const nonce = randomBytes(16).toString('base64');
      const page = reportPage(source.title, await source.body(), { controls: source.control !== undefined, nonce });
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': pagePolicy(nonce),
      });
      response.end(page);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/body') {
      const body = await source.body();
      response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': pagePolicy() });
      response.end(body);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/events') {
      response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
      clients.add(response);
      send(response, last?.event ?? 'update', last?.data ?? 'connected');
      response.on('close', () => {
        clients.delete(response);
        if (closingPages.delete(response) && closingPages.size === 0) pagesClosed?.();
      });
      return;
    }
    if (request.method === 'POST' && url.pathname === '/control' && source.control) {
      let text = '';
      for await (const chunk of request) {
        text += String(chunk);
        if (text.length > 10_000) return reply(response, 413, 'a control is a small JSON object');
      }
      let control: unknown;
      try {
        control = JSON.parse(text);
      } catch {
        control = undefined;
      }
      if (typeof control !== 'object' || control === null || typeof (control as { type?: unknown }).type !== 'string') {
        return reply(response, 400, 'expected a JSON control such as {"type": "pause"}');
      }
      return reply(response, 200, await source.control(control as Record<string, unknown>));
    }
    reply(response, 404, 'not found');
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      response.end(error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(`--dashboard ${port}: port ${port} on ${host} is in use; choose another (or give no port to take a free one)`)
          : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
            ? new UsageError(`--dashboard-host ${host}: not an address of this machine`)
            : error,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  server.on('error', () => undefined);
  const address = server.address() as AddressInfo;
  guard = dashboardGuard({ token, port: address.port, hostNames: acceptedHostNames(host) });
  const shownHost = WILDCARDS.has(host) ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${shownHost}:${address.port}`;
  const broadcast = (event: string, data: string) => {
    last = { event, data };
    for (const client of clients) send(client, event, data);
  };
  return {
    url: `${origin}/?token=${token}`,
    origin,
    notify: (message) => broadcast('update', message),
    end: (message) => {
      for (const client of clients) closingPages.add(client);
      broadcast('end', message);
    },
    close: async () => {
      if (closingPages.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, FINAL_STATE_MS);
          pagesClosed = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      await new Promise<void>((resolve) => {
        for (const client of clients) client.end();
        clients.clear();
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}

/**
 * What a dashboard response may load: nothing from anywhere but itself, its inline styles and
 * images, and the one script that carries this response's nonce (none for the body fragment).
 */
function pagePolicy(nonce?: string): string {
  return [
    "default-src 'none'",
    nonce ? `script-src 'nonce-${nonce}'` : "script-src 'none'",
    "style-src 'unsafe-inline'",
    'img-src data:',
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
