// The introducer over WebSockets (`ws`): used by the bootstrap server and by a seed peer.
// Frame-size and rate limits are the introducer's; this file adds the transport-level guards.

import { WebSocketServer, type WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_INTRO_FRAME_BYTES } from '../src/overlay/bootstrap/protocol.js';
import type { Introducer } from './introducer.js';

/**
 * Hard cap enforced by `ws` itself, above the protocol's cap: frames between the two get a clear
 * 'too-large' error frame from the introducer; frames above this are cut off by `ws` (close 1009)
 * before we ever buffer them.
 */
const WS_MAX_PAYLOAD = 4 * MAX_INTRO_FRAME_BYTES;
/** Volunteers keep a socket open for hours; ping it so dead ones (a closed laptop) are dropped. */
export const HEARTBEAT_MS = 30_000;

export interface IntroductionSocketServer {
  /** Hands an HTTP upgrade on the introduction path to the WebSocket server. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

/** One spelling per host: IPv4 peers of a dual-stack socket appear as ::ffff:a.b.c.d. */
export function remoteAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

export function introductionSocketServer(introducer: Introducer): IntroductionSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false });
  const alive = new WeakMap<WebSocket, boolean>();

  wss.on('connection', (ws, request: IncomingMessage) => {
    alive.set(ws, true);
    const connection = introducer.connect({
      send: (text) => ws.send(text),
      close: (code, reason) => ws.close(code, reason),
    }, remoteAddress(request.socket.remoteAddress));
    ws.on('message', (data, isBinary) => connection.receive(isBinary ? null : data.toString()));
    ws.on('pong', () => alive.set(ws, true));
    ws.on('close', () => connection.closed());
    // Errors (payload over WS_MAX_PAYLOAD, bad UTF-8, resets) are followed by 'close'; nothing to crash on.
    ws.on('error', () => {});
  });

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    handleUpgrade(request, socket, head) {
      socket.on('error', () => {});
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    },
    close() {
      clearInterval(heartbeat);
      introducer.shutdown();
      for (const ws of wss.clients) ws.terminate();
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}
