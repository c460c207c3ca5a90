import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../errors.js';
import { reportPage } from '../report/page.js';

/** What a dashboard shows and, for a babysat run, what it can steer. */
export interface DashboardSource {
  readonly title: string;
  /** The page's body as it is now: the same views as `rxgrad report`. */
  body(): Promise<string> | string;
  /** Carries out a control from the page (babysit); resolves to a line for the page to show. */
  control?(control: Readonly<Record<string, unknown>>): Promise<string> | string;
}

/** A running dashboard. */
export interface Dashboard {
  readonly url: string;
  /** Tells every open page that there is something new (they fetch the body again). */
  notify(message: string): void;
  /** Tells the pages the run has ended; the server keeps serving the final state until closed. */
  end(message: string): void;
  /** Stops serving; the run it shows is not affected. */
  close(): Promise<void>;
}

/**
 * Serves a live view of a run or a study on `http://HOST:PORT` (127.0.0.1 unless told otherwise;
 * port 0 picks a free one): the page is the report's views, redrawn on the server, and each page
 * reloads its body when the server sends an event (Server-Sent Events on `/events`); a babysat
 * run's page has buttons that POST controls to `/control`. A reload shows the whole history so far.
 * Errors in serving a page stay in that response: they never reach the run.
 *
 * @example
 * const dashboard = await startDashboard({ title: 'runs/a', body: () => runReportBody(history) }, { port: 8080 });
 * dashboard.notify('epoch 3');
 */
export async function startDashboard(source: DashboardSource, options: { readonly port?: number; readonly host?: string } = {}): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const clients = new Set<ServerResponse>();
  let last: { event: string; data: string } | undefined;
  const send = (response: ServerResponse, event: string, data: string) => response.write(`event: ${event}\ndata: ${data.replace(/\n/g, ' ')}\n\n`);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'GET' && url.pathname === '/') {
      const page = reportPage(source.title, await source.body(), { controls: source.control !== undefined });
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(page);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/body') {
      const body = await source.body();
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(body);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      clients.add(response);
      send(response, last?.event ?? 'update', last?.data ?? 'connected');
      request.on('close', () => clients.delete(response));
      return;
    }
    if (request.method === 'POST' && url.pathname === '/control' && source.control) {
      let text = '';
      for await (const chunk of request) {
        text += String(chunk);
        if (text.length > 10_000) throw new UsageError('a control is a small JSON object');
      }
      let control: unknown;
      try {
        control = JSON.parse(text);
      } catch {
        control = undefined;
      }
      if (typeof control !== 'object' || control === null || typeof (control as { type?: unknown }).type !== 'string') {
        response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('expected a JSON control such as {"type": "pause"}');
        return;
      }
      const answer = await source.control(control as Record<string, unknown>);
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(answer);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('not found');
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new UsageError(`--dashboard ${port}: port ${port} on ${host} is in use; choose another (or give no port to take a free one)`) : error),
    );
    server.listen(port, host, () => resolve());
  });
  server.on('error', () => undefined);
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const broadcast = (event: string, data: string) => {
    last = { event, data };
    for (const client of clients) send(client, event, data);
  };
  return {
    url: `http://${shownHost}:${address.port}`,
    notify: (message) => broadcast('update', message),
    end: (message) => broadcast('end', message),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients) client.end();
        clients.clear();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
