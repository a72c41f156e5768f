import { createServer, type IncomingMessage } from 'node:http';
import { text } from 'node:stream/consumers';

/** Handles one route's JSON body; what it returns is the response's JSON. */
export type ProbeHandler = (body: unknown) => unknown | Promise<unknown>;

export interface ProbeReceiver {
  url: string;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server the page POSTs its measurements to (bench/support/tab-memory-probe.ts).
 * The page is another origin (Vite's port), hence the CORS header; its text/plain POSTs need no
 * preflight.
 */
export async function startProbeReceiver(routes: Record<string, ProbeHandler>): Promise<ProbeReceiver> {
  const server = createServer((request, response) => {
    respond(request, routes).then(
      (result) => {
        response.writeHead(200, {
          'access-control-allow-origin': '*',
          'content-type': 'application/json',
        });
        response.end(JSON.stringify(result ?? null));
      },
      (error: unknown) => {
        response.writeHead(500, { 'access-control-allow-origin': '*' });
        response.end(String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function respond(request: IncomingMessage, routes: Record<string, ProbeHandler>): Promise<unknown> {
  const handler = request.method === 'POST' ? routes[request.url ?? ''] : undefined;
  if (!handler) throw new Error(`no route ${request.method} ${request.url}`);
  return handler(JSON.parse(await text(request)));
}
