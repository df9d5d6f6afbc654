// STUN/TURN servers of a deployment (issue 16, docs/DEPLOY.md): read from flags or the environment
// by `npm start` (server.ts) and the seed peer (peer.ts), validated once at start, and turned into
// what a peer connection is constructed with.
//
//   --ice-servers JSON   ICE_SERVERS   a full RTCIceServer[] (static entries; TURN ones need username/credential)
//   --stun URL           STUN_URLS     stun:/stuns: URLs (flag repeatable, env comma-separated)
//   --turn URL           TURN_URLS     turn:/turns: URLs of a TURN server that shares --turn-secret
//   --turn-secret S      TURN_SECRET   coturn's static-auth-secret (prefer the env: flags show in `ps`)
//   --turn-ttl SECONDS   TURN_TTL      lifetime of issued credentials (default 3600)
// A flag replaces the same setting from the environment.
//
// Short-lived TURN credentials, coturn's `use-auth-secret` scheme (the "TURN REST API" draft):
// username = "<expiry unix seconds>[:<label>]", password = base64(HMAC-SHA1(secret, username)).
// coturn recomputes the HMAC with the same secret and refuses a username whose time has passed, so
// the server hands tabs credentials that stop working, and the secret itself never leaves it.

import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import * as v from 'valibot';
import { ICE_LIMITS, IceAnswer, IceServer, isTurnUrl, IceUrl, urlList } from '../src/app/ice-config.js';
import type { Clock } from '../src/overlay/environment.js';
import { realClock } from '../src/overlay/transports/real-environment.js';

export const ICE_DEPLOYMENT_LIMITS = {
  defaultTtlS: 3_600,
  minTtlS: 60,
  /** A week: the tab's refresh timer must stay under setTimeout's 24.8-day ceiling. */
  maxTtlS: 7 * 86_400,
  /** The secret is an HMAC key anyone may try to guess offline from one issued credential. */
  minSecretChars: 16,
  maxSecretChars: 1_024,
  /** Longest ICE_SERVERS JSON read. */
  maxJsonChars: ICE_LIMITS.maxResponseBytes,
} as const;

export interface TurnSecretConfig {
  urls: string[];
  secret: string;
  ttlS: number;
}

export interface IceDeployment {
  /** Entries handed out as they are (STUN, TURN with static credentials). */
  servers: IceServer[];
  /** The TURN server whose credentials we mint, if any. */
  turn: TurnSecretConfig | null;
}

/** The raw settings, from flags or the environment; every field optional. */
export interface IceInputs {
  iceServers?: string;
  stun?: string[];
  turn?: string[];
  turnSecret?: string;
  turnTtl?: string;
}

/** A deployment setting that is wrong: the program prints it and exits rather than start half-configured. */
export class IceConfigError extends Error {
  override name = 'IceConfigError';
}

/** For node:util parseArgs: the flags above, to spread into a program's own options. */
export const ICE_ARG_OPTIONS = {
  'ice-servers': { type: 'string' },
  stun: { type: 'string', multiple: true },
  turn: { type: 'string', multiple: true },
  'turn-secret': { type: 'string' },
  'turn-ttl': { type: 'string' },
} as const;

export interface IceArgValues {
  'ice-servers'?: string;
  stun?: string[];
  turn?: string[];
  'turn-secret'?: string;
  'turn-ttl'?: string;
}

export function iceInputsFromArgs(values: IceArgValues): IceInputs {
  return {
    iceServers: values['ice-servers'],
    stun: values.stun?.length ? values.stun : undefined,
    turn: values.turn?.length ? values.turn : undefined,
    turnSecret: values['turn-secret'],
    turnTtl: values['turn-ttl'],
  };
}

export function iceInputsFromEnv(env: Record<string, string | undefined>): IceInputs {
  const list = (text: string | undefined) => (text ? text.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
  return {
    iceServers: env.ICE_SERVERS || undefined,
    stun: list(env.STUN_URLS),
    turn: list(env.TURN_URLS),
    turnSecret: env.TURN_SECRET || undefined,
    turnTtl: env.TURN_TTL || undefined,
  };
}

/** Flags over environment, validated. Throws IceConfigError naming the setting at fault. */
export function parseIceDeployment(flags: IceInputs, env: IceInputs = {}): IceDeployment {
  const pick = <K extends keyof IceInputs>(key: K): IceInputs[K] => flags[key] ?? env[key];
  const servers: IceServer[] = [];

  const json = pick('iceServers');
  if (json !== undefined) {
    if (json.length > ICE_DEPLOYMENT_LIMITS.maxJsonChars) throw new IceConfigError(`ICE_SERVERS: longer than ${ICE_DEPLOYMENT_LIMITS.maxJsonChars} characters`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new IceConfigError('ICE_SERVERS: not JSON (expected [{"urls":"stun:host:3478"}, ...])');
    }
    const result = v.safeParse(v.array(IceServer), parsed);
    if (!result.success) throw new IceConfigError(`ICE_SERVERS: ${issueText(result.issues)}`);
    servers.push(...result.output);
  }

  const stun = pick('stun') ?? [];
  for (const url of stun) {
    checkUrl('--stun / STUN_URLS', url);
    if (isTurnUrl(url)) throw new IceConfigError(`--stun / STUN_URLS: ${url} is a TURN URL (use --turn with --turn-secret)`);
  }
  if (stun.length > 0) servers.push({ urls: stun.length === 1 ? stun[0] : stun });

  const turnUrls = pick('turn') ?? [];
  const secret = pick('turnSecret');
  let turn: TurnSecretConfig | null = null;
  for (const url of turnUrls) {
    checkUrl('--turn / TURN_URLS', url);
    if (!isTurnUrl(url)) throw new IceConfigError(`--turn / TURN_URLS: ${url} is not a turn: or turns: URL`);
  }
  if (turnUrls.length > ICE_LIMITS.maxUrlsPerServer) throw new IceConfigError(`--turn / TURN_URLS: at most ${ICE_LIMITS.maxUrlsPerServer} URLs`);
  if (turnUrls.length > 0) {
    if (secret === undefined) throw new IceConfigError('--turn / TURN_URLS needs --turn-secret / TURN_SECRET (coturn static-auth-secret)');
    if (secret.length < ICE_DEPLOYMENT_LIMITS.minSecretChars || secret.length > ICE_DEPLOYMENT_LIMITS.maxSecretChars) {
      throw new IceConfigError(`--turn-secret / TURN_SECRET: ${ICE_DEPLOYMENT_LIMITS.minSecretChars} to ${ICE_DEPLOYMENT_LIMITS.maxSecretChars} characters (try: openssl rand -hex 32)`);
    }
    const ttlText = pick('turnTtl');
    const ttlS = ttlText === undefined ? ICE_DEPLOYMENT_LIMITS.defaultTtlS : Number(ttlText);
    if (!Number.isInteger(ttlS) || ttlS < ICE_DEPLOYMENT_LIMITS.minTtlS || ttlS > ICE_DEPLOYMENT_LIMITS.maxTtlS) {
      throw new IceConfigError(`--turn-ttl / TURN_TTL: whole seconds from ${ICE_DEPLOYMENT_LIMITS.minTtlS} to ${ICE_DEPLOYMENT_LIMITS.maxTtlS}`);
    }
    turn = { urls: turnUrls, secret, ttlS };
  } else if (secret !== undefined) {
    throw new IceConfigError('--turn-secret / TURN_SECRET given without --turn / TURN_URLS');
  }

  if (servers.length + (turn ? 1 : 0) > ICE_LIMITS.maxServers) throw new IceConfigError(`at most ${ICE_LIMITS.maxServers} ICE server entries in all`);
  return { servers, turn };
}

/** coturn use-auth-secret credentials valid until `expiresAtS` (unix seconds). */
export function mintTurnCredential(secret: string, expiresAtS: number, label?: string): { username: string; credential: string } {
  const username = label ? `${expiresAtS}:${label}` : String(expiresAtS);
  const mac = hmac(sha1, utf8ToBytes(secret), utf8ToBytes(username));
  return { username, credential: Buffer.from(mac).toString('base64') };
}

/** The body of GET /ice at `nowMs`: the static entries and freshly minted TURN credentials. */
export function iceAnswer(deployment: IceDeployment, nowMs: number): IceAnswer {
  const iceServers: IceServer[] = deployment.servers.map((server) => ({ ...server }));
  let expiresAt: number | null = null;
  if (deployment.turn) {
    const expiresAtS = Math.floor(nowMs / 1000) + deployment.turn.ttlS;
    iceServers.push({ urls: [...deployment.turn.urls], ...mintTurnCredential(deployment.turn.secret, expiresAtS) });
    expiresAt = expiresAtS * 1000;
  }
  return { iceServers, expiresAt };
}

/**
 * For a Node peer that holds the secret itself (a seed): the transport calls this at every peer
 * connection, so credentials are always fresh; they are minted again once a tenth of the TTL passed.
 */
export function iceServerSource(deployment: IceDeployment, clock: Pick<Clock, 'now'>): () => RTCIceServer[] {
  let cached: { at: number; servers: RTCIceServer[] } | null = null;
  const remintMs = deployment.turn ? (deployment.turn.ttlS * 1000) / 10 : Infinity;
  return () => {
    const now = clock.now();
    if (!cached || now - cached.at >= remintMs) cached = { at: now, servers: toRtc(iceAnswer(deployment, now).iceServers) };
    return cached.servers.map((server) => ({ ...server }));
  };
}

/**
 * For a Node peer's command line (peer.ts spreads ICE_ARG_OPTIONS into its parseArgs options): the
 * flags over the environment, as a source the transport reads at every peer connection. Throws
 * IceConfigError.
 */
export function iceServersFromFlags(values: IceArgValues, env: Record<string, string | undefined>, clock: Pick<Clock, 'now'> = realClock): () => RTCIceServer[] {
  return iceServerSource(parseIceDeployment(iceInputsFromArgs(values), iceInputsFromEnv(env)), clock);
}

/** One log line: what is configured, without the secret or any credential. */
export function describeIce(deployment: IceDeployment): string {
  const parts = deployment.servers.flatMap((server) => urlList(server.urls));
  if (deployment.turn) parts.push(...deployment.turn.urls.map((url) => `${url} (credentials for ${deployment.turn!.ttlS} s)`));
  return parts.length > 0 ? parts.join(', ') : 'none (enough on one host or one LAN; see docs/DEPLOY.md)';
}

function toRtc(servers: readonly IceServer[]): RTCIceServer[] {
  return servers.map((server) => ({ ...server, urls: typeof server.urls === 'string' ? server.urls : [...server.urls] }));
}

function checkUrl(setting: string, url: string): void {
  const result = v.safeParse(IceUrl, url);
  if (!result.success) throw new IceConfigError(`${setting}: ${JSON.stringify(url.slice(0, 80))} is not a stun:, stuns:, turn: or turns: URL (host[:port][?transport=udp|tcp])`);
}

function issueText(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
  return path ? `${path}: ${issue.message}` : issue.message;
}
