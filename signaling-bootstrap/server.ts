// `npm start`: one localhost port serves the built app (./dist) and the bootstrap introducer on
// ws /bootstrap. The introducer only introduces a new node to ONE existing node (docs/DESIGN.md); the
// overlay does everything else. GET /bootstrap/stats shows its counters (benchmarks read them to
// show exactly one introduction per join).
//
//   tsx signaling-bootstrap/server.ts      PORT (default 8080), HOST (default 127.0.0.1), DIST (default ./dist)

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exitOnStopSignal, runIfMain } from './command-line.js';
import { BOOTSTRAP_PATH } from '../src/overlay/bootstrap/protocol.js';
import { Introducer, type IntroducerOptions, type IntroducerStats } from './introducer.js';
import { introductionSocketServer } from './introduction-socket.js';
import { staticFiles } from './static-files.js';
import { realClock } from '../src/overlay/transports/real-environment.js';

export interface ServerOptions {
  port?: number;
  host?: string;
  /** The built app; null serves no files (a seed peer only introduces). */
  distDir?: string | null;
  /** Limits for a fresh introducer, or an existing one (a seed peer adds its own node as volunteer). */
  introducer?: Omit<IntroducerOptions, 'clock'> | Introducer;
}

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

  const server = createServer((request, response) => {
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
  server.on('upgrade', (request, socket, head) => {
    if ((request.url ?? '').split('?')[0] === BOOTSTRAP_PATH) return sockets.handleUpgrade(request, socket, head);
    socket.on('error', () => {});
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
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

async function main(): Promise<void> {
  const server = await startServer({
    port: Number(process.env.PORT ?? 8080),
    host: process.env.HOST ?? '127.0.0.1',
    distDir: process.env.DIST ?? 'dist',
  });
  console.log(`DIMA: app on ${server.url}  bootstrap on ${server.bootstrapUrl}`);
  exitOnStopSignal(() => server.close());
}

runIfMain(import.meta.url, main);
