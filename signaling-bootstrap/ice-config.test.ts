// The deployment's ICE settings: parsing and validation, coturn use-auth-secret credentials (checked
// against node:crypto, not the @noble/hashes code under test), their expiry, and GET /ice.

import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseIceAnswer } from '../src/app/ice-config.js';
import {
  describeIce, ICE_ARG_OPTIONS, IceConfigError, iceAnswer, iceInputsFromArgs, iceInputsFromEnv, iceServerSource, iceServersFromFlags, mintTurnCredential,
  parseIceDeployment,
} from './ice-config.js';
import { parseArgs } from 'node:util';
import { startServer, type RunningServer } from './server.js';

const SECRET = 'north-wind-0123456789abcdef';

/** coturn's check, written independently: HMAC-SHA1 keyed by the shared secret over the username, base64. */
function coturnPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

describe('TURN credentials (coturn use-auth-secret)', () => {
  it('username is the expiry in unix seconds, password the base64 HMAC-SHA1 of it under the secret', () => {
    const minted = mintTurnCredential(SECRET, 1_767_229_200);
    expect(minted.username).toBe('1767229200');
    expect(minted.credential).toBe(coturnPassword(SECRET, '1767229200'));
    // A fixed vector, so a change in encoding (hex instead of base64, say) cannot pass unnoticed.
    expect(mintTurnCredential('secret', 1_000)).toEqual({ username: '1000', credential: createHmac('sha1', 'secret').update('1000').digest('base64') });
    expect(mintTurnCredential(SECRET, 1_767_229_200, 'tab').username).toBe('1767229200:tab');
    expect(mintTurnCredential(SECRET, 1_767_229_200, 'tab').credential).toBe(coturnPassword(SECRET, '1767229200:tab'));
  });

  it('an /ice answer expires one TTL after it was issued, and a later one is minted afresh', () => {
    const deployment = parseIceDeployment({ turn: ['turn:turn.example.org:3478?transport=udp'], turnSecret: SECRET, turnTtl: '600' });
    const now = Date.UTC(2026, 11, 2, 3, 0, 0, 250);
    const answer = iceAnswer(deployment, now);
    const turn = answer.iceServers[0];
    expect(turn.urls).toEqual(['turn:turn.example.org:3478?transport=udp']);
    expect(Number(turn.username)).toBe(Math.floor(now / 1000) + 600);
    expect(turn.credential).toBe(coturnPassword(SECRET, turn.username!));
    expect(answer.expiresAt).toBe((Math.floor(now / 1000) + 600) * 1000);
    const later = iceAnswer(deployment, now + 60_000);
    expect(Number(later.iceServers[0].username)).toBe(Number(turn.username) + 60);
    // The answer passes the tab's own validator and never contains the secret.
    expect(parseIceAnswer(JSON.stringify(answer))).toEqual(answer);
    expect(JSON.stringify(answer)).not.toContain(SECRET);
    expect(describeIce(deployment)).not.toContain(SECRET);
  });

  it('a Node peer holding the secret mints at construction time, again once a tenth of the TTL passed', () => {
    let now = 1_000_000_000_000;
    const source = iceServerSource(parseIceDeployment({ turn: ['turn:10.0.0.1'], turnSecret: SECRET, turnTtl: '1000' }), { now: () => now });
    const first = source()[0].username;
    now += 99_000;
    expect(source()[0].username).toBe(first);
    now += 1_000;
    expect(Number(source()[0].username)).toBe(Number(first) + 100);
  });
});

describe('ICE settings from flags and the environment', () => {
  it('reads STUN, TURN and a JSON list; a flag replaces the same setting from the environment', () => {
    const env = iceInputsFromEnv({ STUN_URLS: 'stun:a.example:3478, stun:b.example', TURN_URLS: 'turn:t.example', TURN_SECRET: SECRET, TURN_TTL: '120' });
    const fromEnv = parseIceDeployment({}, env);
    expect(fromEnv.servers).toEqual([{ urls: ['stun:a.example:3478', 'stun:b.example'] }]);
    expect(fromEnv.turn).toEqual({ urls: ['turn:t.example'], secret: SECRET, ttlS: 120 });
    const flags = iceInputsFromArgs({ stun: ['stuns:[2001:db8::1]:5349'], 'turn-ttl': '3600' });
    const both = parseIceDeployment(flags, env);
    expect(both.servers).toEqual([{ urls: 'stuns:[2001:db8::1]:5349' }]);
    expect(both.turn?.ttlS).toBe(3600);
    const json = parseIceDeployment({ iceServers: '[{"urls":"stun:s.example"},{"urls":["turns:t.example:443?transport=tcp"],"username":"u","credential":"p"}]' });
    expect(json.servers).toHaveLength(2);
    expect(parseIceDeployment({}, iceInputsFromEnv({}))).toEqual({ servers: [], turn: null });
  });

  it('a Node peer parses the same flags among its own (peer.ts) and gets a source minting from TURN_SECRET', () => {
    const { values } = parseArgs({
      args: ['--name', 'seed', '--stun', 'stun:203.0.113.1:3478', '--turn', 'turn:203.0.113.1:3478'],
      options: { name: { type: 'string' }, ...ICE_ARG_OPTIONS },
    });
    const source = iceServersFromFlags(values, { TURN_SECRET: SECRET }, { now: () => 1_000_000_000_000 });
    const expiry = String(1_000_000_000 + 3600);
    expect(source()).toEqual([
      { urls: 'stun:203.0.113.1:3478' },
      { urls: ['turn:203.0.113.1:3478'], username: expiry, credential: coturnPassword(SECRET, expiry) },
    ]);
    expect(() => iceServersFromFlags({ turn: ['turn:203.0.113.1'] }, {})).toThrow(/needs --turn-secret/);
  });

  it.each([
    [{ stun: ['http://stun.example'] }, /not a stun/],
    [{ stun: ['turn:t.example'] }, /is a TURN URL/],
    [{ turn: ['stun:t.example'], turnSecret: SECRET }, /not a turn/],
    [{ turn: ['turn:t.example'] }, /needs --turn-secret/],
    [{ turn: ['turn:t.example'], turnSecret: 'short' }, /16 to/],
    [{ turnSecret: SECRET }, /without --turn/],
    [{ turn: ['turn:t.example'], turnSecret: SECRET, turnTtl: '30' }, /TURN_TTL/],
    [{ turn: ['turn:t.example'], turnSecret: SECRET, turnTtl: '1h' }, /TURN_TTL/],
    [{ iceServers: '{nope' }, /not JSON/],
    [{ iceServers: '[{"urls":"turn:t.example"}]' }, /needs a username/],
    [{ iceServers: '[{"urls":"stun:s.example","extra":1}]' }, /ICE_SERVERS/],
    [{ stun: ['stun:host with space'] }, /not a stun/],
  ])('refuses %j', (inputs, message) => {
    expect(() => parseIceDeployment(inputs)).toThrow(IceConfigError);
    expect(() => parseIceDeployment(inputs)).toThrow(message);
  });
});

describe('GET /ice', () => {
  let server: RunningServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('serves the configured servers with fresh credentials, never cached, to the page and allowed origins only', async () => {
    const now = Date.UTC(2026, 11, 2, 3, 0, 0);
    const ice = parseIceDeployment({ stun: ['stun:203.0.113.1:3478'], turn: ['turn:203.0.113.1:3478'], turnSecret: SECRET });
    server = await startServer({ port: 0, distDir: null, ice, clock: { now: () => now }, allowedOrigins: ['https://chat.example'] });
    const response = await fetch(new URL('/ice', server.url));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    expect(text).not.toContain(SECRET);
    const answer = parseIceAnswer(text)!;
    expect(answer.iceServers[0]).toEqual({ urls: 'stun:203.0.113.1:3478' });
    const expiry = Math.floor(now / 1000) + 3600;
    expect(answer.iceServers[1]).toEqual({ urls: ['turn:203.0.113.1:3478'], username: String(expiry), credential: coturnPassword(SECRET, String(expiry)) });
    expect(answer.expiresAt).toBe(expiry * 1000);

    const allowed = await fetch(new URL('/ice', server.url), { headers: { Origin: 'https://chat.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://chat.example');
    const foreign = await fetch(new URL('/ice', server.url), { headers: { Origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(new URL('/ice', server.url), { method: 'POST' })).status).toBe(405);
  });

  it('answers an empty list when nothing is configured (the tab then keeps its meta tag)', async () => {
    server = await startServer({ port: 0, distDir: null });
    expect(await (await fetch(new URL('/ice', server.url))).json()).toEqual({ iceServers: [], expiresAt: null });
  });
});
