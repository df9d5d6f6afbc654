// `npm start`: one localhost port serves the built app (./dist) and the bootstrap introducer on
// ws /bootstrap. The introducer only introduces a new node to ONE existing node (docs/DESIGN.md); the
// overlay does everything else. GET /bootstrap/stats shows its counters (benchmarks read them to
// show exactly one introduction per join).
//
//   tsx signaling-bootstrap/server.ts      PORT (default 8080), HOST (default 127.0.0.1), DIST (default ./dist),
//                                          ALLOWED_ORIGINS (comma list of other origins whose pages may join here)

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exitOnStopSignal, runIfMain } from './command-line.js';
import { BOOTSTRAP_PATH } from '../src/overlay/bootstrap/protocol.js';
import { Introducer, type IntroducerOptions, type IntroducerStats } from './introducer.js';
import { introductionSocketServer, remoteAddress } from './introduction-socket.js';
import { staticFiles } from './static-files.js';
import { realClock } from '../src/overlay/transports/real-environment.js';

export interface ServerOptions {
  port?: number;
  host?: string;
  /** The built app; null serves no files (a seed peer only introduces). */
  distDir?: string | null;
  /** Limits for a fresh introducer, or an existing one (a seed peer adds its own node as volunteer). */
  introducer?: Omit<IntroducerOptions, 'clock'> | Introducer;
  /**
   * Browser origins that may open the introduction socket, besides the page's own host; '*' for any.
   * Default: same origin only when serving the app, any for a seed (tabs of any deployment use it).
   * Clients that send no Origin (Node peers) are not browsers and always pass.
   */
  allowedOrigins?: readonly string[] | '*';
  /** TCP connections per remote address, of any kind (a slowloris from one host). */
  maxSocketsPerAddress?: number;
}

/** Deadlines for a request's headers and the whole request: a slowloris client is cut off by then. */
export const HTTP_LIMITS = { headersTimeoutMs: 5_000, requestTimeoutMs: 10_000, checkEveryMs: 1_000, socketsPerAddress: 256 } as const;

export interface RunningServer {
  /** http://host:port/ */
  url: string;
  /** ws://host:port/bootstrap */
  bootstrapUrl: string;
  stats: IntroducerStats;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const introducer =
    options.introducer instanceof Introducer ? options.introducer : new Introducer({ clock: realClock, ...options.introducer });
  const sockets = introductionSocketServer(introducer);
  const serveStatic = options.distDir === null ? null : staticFiles(options.distDir ?? 'dist');

  const allowedOrigins = options.allowedOrigins ?? (serveStatic ? [] : '*');
  const server = createServer({
    headersTimeout: HTTP_LIMITS.headersTimeoutMs,
    requestTimeout: HTTP_LIMITS.requestTimeoutMs,
    connectionsCheckingInterval: HTTP_LIMITS.checkEveryMs,
  }, (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === `${BOOTSTRAP_PATH}/stats`) {
      response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      response.end(JSON.stringify(introducer.stats));
      return;
    }
    if (!serveStatic) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('introductions only\n');
      return;
    }
    serveStatic(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  const perAddress = new Map<string, number>();
  const socketsPerAddress = options.maxSocketsPerAddress ?? HTTP_LIMITS.socketsPerAddress;
  server.on('connection', (socket) => {
    const address = remoteAddress(socket.remoteAddress);
    const open = (perAddress.get(address) ?? 0) + 1;
    perAddress.set(address, open);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    if (open > socketsPerAddress) socket.destroy();
  });
  server.on('upgrade', (request, socket, head) => {
    if ((request.url ?? '').split('?')[0] === BOOTSTRAP_PATH) {
      if (originAllowed(request.headers.origin, request.headers.host, allowedOrigins)) return sockets.handleUpgrade(request, socket, head);
      socket.on('error', () => {});
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    socket.on('error', () => {});
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    // A client that never reads would keep the half-closed socket (and its descriptor) forever.
    setTimeout(() => socket.destroy(), 1_000).unref();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${hostInUrl}:${port}/`,
    bootstrapUrl: `ws://${hostInUrl}:${port}${BOOTSTRAP_PATH}`,
    stats: introducer.stats,
    async close() {
      await sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Another site's page may not use its visitors' browsers to talk to our introducer. */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[] | '*'): boolean {
  if (origin === undefined || allowed === '*') return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const server = await startServer({
    port: Number(process.env.PORT ?? 8080),
    host: process.env.HOST ?? '127.0.0.1',
    distDir: process.env.DIST ?? 'dist',
    allowedOrigins: process.env.ALLOWED_ORIGINS ? process.env.ALLOWED_ORIGINS.split(',').map((o) => o.trim()) : undefined,
  });
  console.log(`DIMA: app on ${server.url}  bootstrap on ${server.bootstrapUrl}`);
  exitOnStopSignal(() => server.close());
}

runIfMain(import.meta.url, main);
