// The introduction protocol: how a node gets its FIRST link (docs/DESIGN.md). Spoken over a WebSocket
// between nodes and an introducer (the bootstrap server, or a headless seed peer). The introducer
// only relays one offer and one answer per join; it learns nothing else and keeps nothing else.
//
//   joiner -> introducer   { type: 'join' }
//   introducer -> joiner   { type: 'first' }                      no node to join: start a new ring
//                          { type: 'ready' }                      send your offer
//   joiner -> introducer   { type: 'offer', offer }
//   introducer -> volunteer{ type: 'offer', intro, offer }        to ONE volunteer
//   volunteer -> introducer{ type: 'answer', intro, answer }      (or { type: 'decline', intro })
//   introducer -> joiner   { type: 'answer', answer }             then both sides close
//
//   node -> introducer     { type: 'volunteer', id }              keep this socket: I answer offers
//   introducer -> node     { type: 'volunteering' }
//   introducer -> volunteer{ type: 'meet' }                       dial another volunteer through me
//   volunteer -> introducer{ type: 'meet-offer', offer }          (or { type: 'meet-declined' })
//   introducer -> volunteer{ type: 'meet-answer', answer }        from the other volunteer, or
//                          { type: 'meet-failed' }
//     After a restart the introducer cannot tell which ring a volunteer is in: volunteers that come
//     back (and any node it told 'first' meanwhile) are introduced to each other, and the nodes check
//     through that link whether they are one ring (PastryNode.meet), merging two rings if not.
//   either                 { type: 'ping' } / { type: 'pong' }    keep-alive through proxies
//   introducer -> anyone   { type: 'error', code, message }       then it closes the socket
//
// One typed definition and one validator per message (valibot); inside, code trusts the types.

import * as v from 'valibot';
import { MAX_SIGNAL_CHARS } from '../transports/frame-codec.js';

export const BOOTSTRAP_PATH = '/bootstrap';
/** Largest introduction frame, in bytes; anything bigger is answered with 'too-large' and a close. */
export const MAX_INTRO_FRAME_BYTES = MAX_SIGNAL_CHARS + 1024;

const sdp = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_SIGNAL_CHARS));
const introId = v.pipe(v.string(), v.regex(/^[0-9a-z]{1,32}$/));
const nodeIdHex = v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/));
const offerBlob = v.strictObject({ kind: v.literal('offer'), data: sdp });
const answerBlob = v.strictObject({ kind: v.literal('answer'), data: sdp });

export const ClientFrame = v.variant('type', [
  v.strictObject({ type: v.literal('join') }),
  v.strictObject({ type: v.literal('offer'), offer: offerBlob }),
  v.strictObject({ type: v.literal('volunteer'), id: nodeIdHex }),
  v.strictObject({ type: v.literal('answer'), intro: introId, answer: answerBlob }),
  v.strictObject({ type: v.literal('decline'), intro: introId }),
  v.strictObject({ type: v.literal('meet-offer'), offer: offerBlob }),
  v.strictObject({ type: v.literal('meet-declined') }),
  v.strictObject({ type: v.literal('ping') }),
  v.strictObject({ type: v.literal('pong') }),
]);
export type ClientFrame = v.InferOutput<typeof ClientFrame>;
const CLIENT_FRAME_TYPES: ReadonlySet<string> = new Set([
  'join', 'offer', 'volunteer', 'answer', 'decline', 'meet-offer', 'meet-declined', 'ping', 'pong',
]);

export const ERROR_CODES = [
  'bad-json',
  'too-large',
  'unknown-type',
  'invalid-frame',
  'unexpected',
  'rate-limited',
  'timeout',
  'no-answer',
  'no-volunteer',
  'replaced',
  'busy',
  'shutting-down',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ServerFrame = v.variant('type', [
  v.strictObject({ type: v.literal('first') }),
  v.strictObject({ type: v.literal('ready') }),
  v.strictObject({ type: v.literal('answer'), answer: answerBlob }),
  v.strictObject({ type: v.literal('volunteering') }),
  v.strictObject({ type: v.literal('offer'), intro: introId, offer: offerBlob }),
  v.strictObject({ type: v.literal('meet') }),
  v.strictObject({ type: v.literal('meet-answer'), answer: answerBlob }),
  v.strictObject({ type: v.literal('meet-failed') }),
  v.strictObject({ type: v.literal('ping') }),
  v.strictObject({ type: v.literal('pong') }),
  v.strictObject({ type: v.literal('error'), code: v.picklist(ERROR_CODES), message: v.pipe(v.string(), v.maxLength(500)) }),
]);
export type ServerFrame = v.InferOutput<typeof ServerFrame>;

export type Decoded<T> = { ok: true; frame: T } | { ok: false; code: ErrorCode; message: string };

const utf8 = new TextEncoder();

/** Parses and validates one frame from a node; every failure is a value with the error code to answer. */
export function decodeClientFrame(text: string): Decoded<ClientFrame> {
  if (text.length > MAX_INTRO_FRAME_BYTES || utf8.encode(text).length > MAX_INTRO_FRAME_BYTES) {
    return { ok: false, code: 'too-large', message: `frames are limited to ${MAX_INTRO_FRAME_BYTES} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad-json', message: 'frame is not JSON' };
  }
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !CLIENT_FRAME_TYPES.has(type)) {
    return { ok: false, code: 'unknown-type', message: `unknown frame type ${JSON.stringify(type)?.slice(0, 40)}` };
  }
  const parsed = v.safeParse(ClientFrame, json);
  if (!parsed.success) return { ok: false, code: 'invalid-frame', message: `malformed ${type} frame` };
  return { ok: true, frame: parsed.output };
}

/** The client's side of the edge: the introducer is untrusted input too. */
export function decodeServerFrame(text: string): ServerFrame | null {
  if (text.length > MAX_INTRO_FRAME_BYTES) return null;
  try {
    const parsed = v.safeParse(ServerFrame, JSON.parse(text));
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
}
