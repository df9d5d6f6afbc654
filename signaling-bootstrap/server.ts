// `npm start`: one localhost port serves the built app (./dist) and the bootstrap introducer on
// ws /bootstrap. The introducer only introduces a new node to ONE existing node (docs/DESIGN.md); the
// overlay does everything else. GET /bootstrap/stats shows its counters (benchmarks read them to
// show exactly one introduction per join). GET /ice hands tabs the deployment's STUN/TURN servers,
// with TURN credentials minted for each request that expire (ice-config.ts, docs/DEPLOY.md).
//
//   tsx signaling-bootstrap/server.ts      PORT (default 8080), HOST (default 127.0.0.1), DIST (default ./dist),
//                                          ALLOWED_ORIGINS (comma list of other origins whose pages may join here)
//     [--stun URL]... [--turn URL]... [--turn-secret S] [--turn-ttl SECONDS] [--ice-servers JSON]
//                                          or STUN_URLS, TURN_URLS, TURN_SECRET, TURN_TTL, ICE_SERVERS

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { exitOnStopSignal, runIfMain } from './command-line.js';
import { BOOTSTRAP_PATH } from '../src/overlay/bootstrap/protocol.js';
import { Introducer, type IntroducerOptions, type IntroducerStats } from './introducer.js';
import { introductionSocketServer, remoteAddress } from './introduction-socket.js';
import { staticFiles } from './static-files.js';
import { realClock } from '../src/overlay/transports/real-environment.js';
import { ICE_PATH } from '../src/app/ice-config.js';
import type { Clock } from '../src/overlay/environment.js';
import { describeIce, ICE_ARG_OPTIONS, IceConfigError, iceAnswer, iceInputsFromArgs, iceInputsFromEnv, parseIceDeployment, type IceDeployment } from './ice-config.js';

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
  /** STUN/TURN servers served on GET /ice (default none: the answer is an empty list). */
  ice?: IceDeployment;
  /** Wall clock for the TURN credentials' expiry (tests pin it). */
  clock?: Pick<Clock, 'now'>;
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
  const ice: IceDeployment = options.ice ?? { servers: [], turn: null };
  const wallClock = options.clock ?? realClock;
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
    if (path === ICE_PATH) {
      // Minted per request and never cached: a shared cache would hand one user's credentials to others.
      const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', Vary: 'Origin' };
      const origin = request.headers.origin;
      // Pages of the origins allowed to join here may read it too; no other site gets our TURN server.
      if (origin !== undefined && originAllowed(origin, request.headers.host, allowedOrigins)) headers['Access-Control-Allow-Origin'] = origin;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
        return;
      }
      response.writeHead(200, headers);
      response.end(request.method === 'HEAD' ? undefined : JSON.stringify(iceAnswer(ice, wallClock.now())));
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
function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[] | '*'): boolean {
  if (origin === undefined || allowed === '*') return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The deployment's ICE servers from the command line over the environment; exits 2 with the reason when invalid. */
function iceFromCommandLine(args: readonly string[], env: Record<string, string | undefined>): IceDeployment {
  try {
    const { values } = parseArgs({ args: [...args], options: ICE_ARG_OPTIONS, strict: true });
    return parseIceDeployment(iceInputsFromArgs(values), iceInputsFromEnv(env));
  } catch (error) {
    const reason = error instanceof IceConfigError || (error instanceof Error && 'code' in error) ? error.message : String(error);
    console.error(`DIMA: bad ICE server settings: ${reason}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const ice = iceFromCommandLine(process.argv.slice(2), process.env);
  const server = await startServer({
    ice,
    port: Number(process.env.PORT ?? 8080),
    host: process.env.HOST ?? '127.0.0.1',
    distDir: process.env.DIST ?? 'dist',
    allowedOrigins: process.env.ALLOWED_ORIGINS ? process.env.ALLOWED_ORIGINS.split(',').map((o) => o.trim()) : undefined,
  });
  console.log(`DIMA: app on ${server.url}  bootstrap on ${server.bootstrapUrl}`);
  console.log(`DIMA: ICE servers on ${server.url.replace(/\/$/, '')}${ICE_PATH}: ${describeIce(ice)}`);
  exitOnStopSignal(() => server.close());
}

runIfMain(import.meta.url, main);
