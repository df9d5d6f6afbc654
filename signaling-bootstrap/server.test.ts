import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { bootstrapSignaller, volunteer, type Volunteering } from '../src/overlay/bootstrap/client.js';
import { MAX_INTRO_FRAME_BYTES } from '../src/overlay/bootstrap/protocol.js';
import { startTestNode, stopAllTestNodes } from '../tests/integration/webrtc-testkit.js';
import { startServer, type RunningServer } from './server.js';

let server: RunningServer;
let dist: string;
const volunteers: Volunteering[] = [];

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'dima-dist-'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>DIMA</title>');
  writeFileSync(join(dist, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  writeFileSync(join(dist, 'manifest.webmanifest'), '{"name":"DIMA"}');
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
  // A symlink out of dist/ (a careless deploy, or a build step that links a secret in).
  writeFileSync(join(dist, '..', `${dist.split('/').pop()}-secret.txt`), 'the secret');
  symlinkSync(join(dist, '..', `${dist.split('/').pop()}-secret.txt`), join(dist, 'leak.txt'));
  symlinkSync('/etc', join(dist, 'etc'));
  server = await startServer({ port: 0, distDir: dist, introducer: { rateBurst: 10, ratePerSecond: 2 } });
});

afterEach(() => {
  for (const v of volunteers.splice(0)) v.close();
  stopAllTestNodes();
});

afterAll(async () => {
  await server.close();
  rmSync(dist, { recursive: true, force: true });
  rmSync(`${dist}-secret.txt`, { force: true });
});

/** A raw client that records every frame and the close, for poking the server with bad input. */
function rawClient(): Promise<{ ws: WebSocket; frames: any[]; closed: Promise<number> }> {
  const ws = new WebSocket(server.bootstrapUrl);
  const frames: any[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
  ws.on('error', () => {});
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve({ ws, frames, closed }));
    ws.on('error', reject);
  });
}

describe('bootstrap server: static app', () => {
  it('serves the app with the right types and caching', async () => {
    const index = await fetch(server.url);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');

    const sw = await fetch(new URL('sw.js', server.url));
    expect(sw.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(sw.headers.get('cache-control')).toBe('no-cache');

    const asset = await fetch(new URL('assets/index-abc123.js', server.url));
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    expect(await asset.text()).toBe('console.log(1)');

    const manifest = await fetch(new URL('manifest.webmanifest', server.url));
    expect(manifest.headers.get('content-type')).toMatch(/^application\/manifest\+json/);
  });

  it('falls back to index.html for app routes but not for missing files, and stays inside dist', async () => {
    const route = await fetch(new URL('chat/alice', server.url));
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>DIMA</title>');
    expect((await fetch(new URL('assets/missing.js', server.url))).status).toBe(404);
    for (const path of ['/..%2f..%2f..%2fetc%2fpasswd', '/assets/..%2f..%2f..%2fetc%2fpasswd.txt']) {
      const escape = await fetch(new URL(path, server.url));
      expect(await escape.text()).not.toContain('root:');
    }
  });

  it('serves nothing a symlink inside dist points to outside it', async () => {
    const leak = await fetch(new URL('leak.txt', server.url));
    expect(await leak.text()).not.toContain('the secret');
    expect(leak.status).toBe(404);
    const passwd = await fetch(new URL('etc/passwd', server.url));
    expect(await passwd.text()).not.toContain('root:');
  });

  it('reports its introduction counters as JSON', async () => {
    const response = await fetch(new URL('bootstrap/stats', server.url));
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ introductions: expect.any(Number), volunteers: expect.any(Number) });
  });
});

describe('bootstrap server: introductions', () => {
  it('introduces a joining node to one volunteer over real WebRTC, with one introduction per join', async () => {
    const before = { ...server.stats };
    const first = startTestNode();
    const firstSignaller = await bootstrapSignaller(server.bootstrapUrl, WebSocket);
    expect(firstSignaller).toBeNull(); // nobody there yet: start a ring
    const volunteering = volunteer(server.bootstrapUrl, first.transport, WebSocket);
    volunteers.push(volunteering);
    await volunteering.ready;

    const joiner = startTestNode();
    const t0 = performance.now();
    const signaller = await bootstrapSignaller(server.bootstrapUrl, WebSocket);
    expect(signaller).not.toBeNull();
    const link = await joiner.transport.dial(null, signaller!);
    console.info(`[bootstrap] first link through the server in ${(performance.now() - t0).toFixed(1)} ms`);

    expect(link.peer).toBe(first.identity.id);
    await first.events.until(() => first.events.links.length === 1);
    expect(first.events.links[0].peer).toBe(joiner.identity.id);
    link.send({ hello: 'overlay' });
    await first.events.until(() => first.events.frames.length === 1);
    expect(server.stats.introductions - before.introductions).toBe(1);
    expect(server.stats.joins - before.joins).toBe(2);
    expect(server.stats.firstNodeGrants - before.firstNodeGrants).toBe(1);
    expect(volunteering.stats).toEqual({ offers: 1, answered: 1, declined: 0, meets: 0 });
  });

  it.each([
    ['bad JSON', 'bad-json', () => '{"type": join}'],
    ['an oversized frame', 'too-large', () => JSON.stringify({ type: 'join', pad: 'x'.repeat(MAX_INTRO_FRAME_BYTES) })],
    ['an unknown type', 'unknown-type', () => JSON.stringify({ type: 'subscribe' })],
    ['a malformed frame', 'invalid-frame', () => JSON.stringify({ type: 'offer', offer: 42 })],
  ])('answers %s with an error frame, closes, and keeps serving', async (_name, code, payload) => {
    const client = await rawClient();
    client.ws.send(payload());
    const closeCode = await client.closed;
    expect(client.frames).toEqual([{ type: 'error', code, message: expect.any(String) }]);
    expect(closeCode).toBeGreaterThanOrEqual(1000);
    expect((await fetch(new URL('bootstrap/stats', server.url))).status).toBe(200);
    const next = await rawClient();
    next.ws.send(JSON.stringify({ type: 'ping' }));
    await new Promise((resolve) => next.ws.once('message', resolve));
    expect(next.frames).toEqual([{ type: 'pong' }]);
    next.ws.close();
  });

  it('rate-limits a flooding client', async () => {
    const client = await rawClient();
    for (let i = 0; i < 200; i++) client.ws.send(JSON.stringify({ type: 'ping' }));
    await client.closed;
    expect(client.frames.at(-1)).toMatchObject({ type: 'error', code: 'rate-limited' });
    expect(client.frames.filter((f) => f.type === 'pong').length).toBeLessThanOrEqual(11);
  });

  it('cuts off frames far beyond the cap at the WebSocket layer without crashing', async () => {
    const client = await rawClient();
    client.ws.send('x'.repeat(8 * MAX_INTRO_FRAME_BYTES));
    expect(await client.closed).toBe(1009);
    expect((await fetch(new URL('bootstrap/stats', server.url))).status).toBe(200);
  });

  it('refuses WebSocket upgrades on other paths', async () => {
    const ws = new WebSocket(server.bootstrapUrl.replace('/bootstrap', '/elsewhere'));
    const outcome = await new Promise((resolve) => {
      ws.on('open', () => resolve('open'));
      ws.on('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
  });
});

/** Opens a raw TCP connection from `localAddress` (Linux routes all of 127/8 to lo) and leaves it idle. */
function idleSocket(localAddress: string, firstBytes = '') {
  const socket = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1', localAddress });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => {});
  socket.resume(); // read what the server says, so its close reaches us
  if (firstBytes) socket.write(firstBytes);
  return { socket, closed };
}

describe('bootstrap server: hostile clients', () => {
  it('still introduces a real joiner (5 s deadline) while 1,000 idle sockets from one address are open', async () => {
    const idle = Array.from({ length: 1_000 }, () => idleSocket('127.0.0.2'));
    const introduced = server.stats.introductions;
    const first = startTestNode();
    const volunteering = volunteer(server.bootstrapUrl, first.transport, WebSocket);
    volunteers.push(volunteering);
    await volunteering.ready;
    const joiner = startTestNode();
    const signaller = await bootstrapSignaller(server.bootstrapUrl, WebSocket, { timeoutMs: 5_000 });
    const link = await joiner.transport.dial(null, signaller!);
    expect(link.peer).toBe(first.identity.id);
    expect(server.stats.introductions).toBe(introduced + 1);
    for (const { socket } of idle) socket.destroy();
  });

  it('closes slowloris upgrade requests that never finish their headers within seconds', async () => {
    const slow = Array.from({ length: 200 }, () =>
      idleSocket('127.0.0.3', 'GET /bootstrap HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'),
    );
    // The header deadline (5 s) checked every second: all are gone well before Node's 60 s default.
    const allClosed = Promise.all(slow.map((s) => s.closed)).then(() => 'closed');
    expect(await Promise.race([allClosed, new Promise((resolve) => setTimeout(() => resolve('open'), 8_000))])).toBe('closed');
  }, 15_000);

  it("refuses another site's page but takes its own origin and non-browser clients", async () => {
    const open = (origin?: string) =>
      new Promise((resolve) => {
        const ws = new WebSocket(server.bootstrapUrl, origin ? { origin } : {});
        ws.on('open', () => (ws.close(), resolve('open')));
        ws.on('error', () => resolve('refused'));
      });
    expect(await open('https://evil.example')).toBe('refused');
    expect(await open(new URL(server.url).origin)).toBe('open');
    expect(await open()).toBe('open');
  });
});
