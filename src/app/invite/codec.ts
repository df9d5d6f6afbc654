// Invite and reply codes: what the inviter shows (QR and text) and what the newcomer shows back.
//
//   DIMAI1-<base32>   an invite (kind I, format version 1): an SDP offer's essentials + expiry
//   DIMAR1-<base32>   a reply (kind R): an SDP answer's essentials + which invite it answers
//
// base32 of: flags (1 byte: bit 0 = deflated) | payload (raw DEFLATE with a preset dictionary when
// that is shorter) | check (the first 4 bytes of SHA-256 over the prefix, flags and payload).
// The payload is packed by hand (sdp-essentials.ts says which fields): a DTLS fingerprint is 32
// bytes instead of 95 characters, an IPv4 address 4. Random bytes do not compress, so deflate rarely
// wins; it is tried anyway and kept when shorter (a long mDNS or IPv6 list).
//
// Every code is hostile input: the text is bounded before decoding, the payload after inflating (a
// zip bomb stops at INVITE_LIMITS.maxPayloadBytes), and what the hand-written reader produced is
// validated by one valibot schema before anything uses it. Failures are values (InviteError).

import { sha256 } from '@noble/hashes/sha2.js';
import { deflateSync, inflateSync } from 'fflate';
import * as v from 'valibot';
import { INVITE_LIMITS } from './config.js';
import {
  base32,
  ByteReader,
  ByteWriter,
  fromBase32,
  ipv4Bytes,
  ipv4Text,
  ipv6Bytes,
  ipv6Text,
  mdnsBytes,
  mdnsText,
  Truncated,
  bytesHex,
  hexBytes,
} from './bytes.js';
import type { Candidate, CandidateType, SdpEssentials, SetupRole } from './sdp-essentials.js';

const CODE_BRAND = 'DIMA';
const CODE_VERSION = 1;
export type CodeKind = 'invite' | 'reply';
const KIND_LETTER: Record<CodeKind, string> = { invite: 'I', reply: 'R' };

export interface Invite {
  readonly kind: 'invite';
  /** Epoch ms (whole seconds) after which the invite is refused. */
  readonly expiresAt: number;
  readonly offer: SdpEssentials;
  /** Names this invite in its reply (the code's check bytes, hex). */
  readonly tag: string;
}

export interface Reply {
  readonly kind: 'reply';
  /** The tag of the invite this reply answers. */
  readonly answers: string;
  readonly answer: SdpEssentials;
}

export type InviteError =
  | 'empty'
  /** Longer than any code we write, as text or once decompressed (a zip bomb). */
  | 'too-long'
  /** Not a DIMA code at all (another app's QR code, a URL, random text). */
  | 'foreign'
  /** A DIMA code of another format version. */
  | 'other-version'
  /** A reply where an invite was expected, or the other way round. */
  | 'wrong-kind'
  /** Characters outside the alphabet, a failed check: mistyped, cut short, or altered. */
  | 'damaged'
  /** The check holds but the contents are not a valid invite. */
  | 'malformed'
  | 'expired';

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: InviteError };

// ---- encoding ---------------------------------------------------------------------------------

export function encodeInvite(offer: SdpEssentials, expiresAt: number): { code: string; tag: string } {
  const payload = new ByteWriter().u32(Math.floor(expiresAt / 1000));
  writeEssentials(payload, offer);
  return frame('invite', payload.finish());
}

export function encodeReply(answer: SdpEssentials, answers: string): string {
  const payload = new ByteWriter().raw(hexBytes(answers));
  writeEssentials(payload, answer);
  return frame('reply', payload.finish()).code;
}

function prefix(kind: CodeKind): string {
  return `${CODE_BRAND}${KIND_LETTER[kind]}${CODE_VERSION}-`;
}

function frame(kind: CodeKind, payload: Uint8Array): { code: string; tag: string } {
  const deflated = deflateSync(payload, { level: 9, mem: 4, dictionary: DICTIONARY });
  const useDeflate = deflated.length < payload.length;
  const body = new ByteWriter()
    .u8(useDeflate ? 1 : 0)
    .raw(useDeflate ? deflated : payload)
    .finish();
  const check = checkBytes(kind, body);
  return { code: prefix(kind) + base32(new ByteWriter().raw(body).raw(check).finish()), tag: bytesHex(check) };
}

function checkBytes(kind: CodeKind, body: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(prefix(kind));
  const all = new Uint8Array(text.length + body.length);
  all.set(text);
  all.set(body, text.length);
  return sha256(all).slice(0, CHECK_BYTES);
}

export const CHECK_BYTES = 4;
/**
 * Preset dictionary for DEFLATE: what recurs between codes that the packing leaves as text (the
 * common ufrag/pwd alphabet does not help; private address prefixes and mDNS do).
 */
const DICTIONARY = new Uint8Array([192, 168, 0, 1, 10, 0, 0, 1, 172, 16, 0, 1, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0xfd, 0, 0, 0, 0x13, 0x88]);

const ALGORITHMS = ['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512'] as const;
const DIGEST_BYTES = [20, 28, 32, 48, 64];
const SETUP_ROLES: readonly SetupRole[] = ['actpass', 'active', 'passive'];
const CANDIDATE_TYPES: readonly CandidateType[] = ['host', 'srflx', 'prflx', 'relay'];
// The values every browser writes take no bytes, only a flag: the SCTP port and libwebrtc's size.
export const COMMON_SCTP_PORT = 5000;
export const COMMON_MAX_MESSAGE = 262144;
const PORT_GIVEN = 16;
const enum MaxMessage {
  Absent = 0,
  Common = 1,
  Given = 2,
}
const enum AddressKind {
  Ipv4 = 0,
  Ipv6 = 1,
  Mdns = 2,
  Name = 3,
}

function writeEssentials(out: ByteWriter, e: SdpEssentials): void {
  out.ice(e.ufrag).ice(e.pwd).u8(e.fingerprints.length);
  for (const f of e.fingerprints) {
    const index = ALGORITHMS.indexOf(f.algorithm as (typeof ALGORITHMS)[number]);
    if (index < 0) throw new Error(`fingerprint algorithm ${f.algorithm} cannot be carried`);
    out.u8(index).raw(hexBytes(f.digest.replaceAll(':', '')));
  }
  const size = e.maxMessageSize === undefined ? MaxMessage.Absent : e.maxMessageSize === COMMON_MAX_MESSAGE ? MaxMessage.Common : MaxMessage.Given;
  out.u8(SETUP_ROLES.indexOf(e.setup) | (size << 2) | (e.sctpPort !== COMMON_SCTP_PORT ? PORT_GIVEN : 0));
  out.str8(e.mid);
  if (e.sctpPort !== COMMON_SCTP_PORT) out.u16(e.sctpPort);
  if (size === MaxMessage.Given) out.u32(e.maxMessageSize!);
  out.u8(e.candidates.length);
  for (const c of e.candidates) writeCandidate(out, c);
}

function writeCandidate(out: ByteWriter, c: Candidate): void {
  const type = CANDIDATE_TYPES.indexOf(c.type);
  const v4 = ipv4Bytes(c.address);
  const v6 = v4 ? undefined : ipv6Bytes(c.address);
  const mdns = v4 || v6 ? undefined : mdnsBytes(c.address);
  const kind = v4 ? AddressKind.Ipv4 : v6 ? AddressKind.Ipv6 : mdns ? AddressKind.Mdns : AddressKind.Name;
  out.u8(type | (kind << 2));
  if (v4 ?? v6 ?? mdns) out.raw((v4 ?? v6 ?? mdns)!);
  else out.str8(c.address);
  out.u16(c.port);
}

// ---- decoding ---------------------------------------------------------------------------------

export function decodeInvite(text: string, now: number): Decoded<Invite> {
  const opened = open(text, 'invite');
  if (!opened.ok) return opened;
  const parsed = parse(opened.value.payload, (r) => ({ expiresAt: r.u32() * 1000 }));
  if (!parsed) return { ok: false, error: 'malformed' };
  if (parsed.head.expiresAt <= now) return { ok: false, error: 'expired' };
  return { ok: true, value: { kind: 'invite', expiresAt: parsed.head.expiresAt, offer: parsed.essentials, tag: opened.value.tag } };
}

export function decodeReply(text: string): Decoded<Reply> {
  const opened = open(text, 'reply');
  if (!opened.ok) return opened;
  const parsed = parse(opened.value.payload, (r) => ({ answers: bytesHex(r.raw(CHECK_BYTES)) }));
  if (!parsed) return { ok: false, error: 'malformed' };
  return { ok: true, value: { kind: 'reply', answers: parsed.head.answers, answer: parsed.essentials } };
}

const CODE_SHAPE = /^DIMA([A-Z])(\d{1,3})-([A-Z0-9]*)$/;

/** Text -> checked, inflated payload. The cheap checks come first, the bound before any decoding. */
function open(text: string, expected: CodeKind): Decoded<{ payload: Uint8Array; tag: string }> {
  if (text.length > INVITE_LIMITS.maxCodeChars) return { ok: false, error: 'too-long' };
  // Chat apps and mail wrap long lines, and people retype in lower case.
  const clean = text.replace(/\s+/g, '').toUpperCase();
  if (clean === '') return { ok: false, error: 'empty' };
  const shape = CODE_SHAPE.exec(clean);
  if (!shape) return { ok: false, error: clean.startsWith(CODE_BRAND) ? 'damaged' : 'foreign' };
  const [, letter, version, data] = shape;
  if (letter !== KIND_LETTER.invite && letter !== KIND_LETTER.reply) return { ok: false, error: 'foreign' };
  if (Number(version) !== CODE_VERSION) return { ok: false, error: 'other-version' };
  if (letter !== KIND_LETTER[expected]) return { ok: false, error: 'wrong-kind' };
  const bytes = fromBase32(data);
  if (!bytes || bytes.length < 1 + CHECK_BYTES) return { ok: false, error: 'damaged' };
  const body = bytes.subarray(0, bytes.length - CHECK_BYTES);
  const check = bytes.subarray(bytes.length - CHECK_BYTES);
  if (bytesHex(checkBytes(expected, body)) !== bytesHex(check)) return { ok: false, error: 'damaged' };
  const flags = body[0];
  if (flags > 1) return { ok: false, error: 'malformed' };
  const payload = flags === 1 ? inflateBounded(body.subarray(1)) : body.slice(1);
  if (!payload) return { ok: false, error: 'malformed' };
  if (payload.length > INVITE_LIMITS.maxPayloadBytes) return { ok: false, error: 'too-long' };
  return { ok: true, value: { payload, tag: bytesHex(check) } };
}

/**
 * Inflates into a buffer one byte larger than the bound: fflate truncates what does not fit, so a
 * zip bomb costs at most that much memory, and a full buffer means "too large" to the caller.
 */
function inflateBounded(data: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(INVITE_LIMITS.maxPayloadBytes + 1);
  try {
    return inflateSync(data, { out, dictionary: DICTIONARY }).slice();
  } catch {
    return undefined;
  }
}

function parse<H>(payload: Uint8Array, head: (r: ByteReader) => H): { head: H; essentials: SdpEssentials } | undefined {
  const reader = new ByteReader(payload);
  try {
    const first = head(reader);
    const raw = readEssentials(reader);
    if (!reader.done) return undefined; // trailing bytes: not something we wrote
    const checked = v.safeParse(EssentialsSchema, raw);
    return checked.success ? { head: first, essentials: checked.output } : undefined;
  } catch (error) {
    if (error instanceof Truncated || error instanceof RangeError) return undefined;
    throw error;
  }
}

/** Reads the packed fields as written; the schema decides whether they make a valid SDP. */
function readEssentials(r: ByteReader): unknown {
  const ufrag = r.ice();
  const pwd = r.ice();
  const fingerprints = Array.from({ length: Math.min(r.u8(), INVITE_LIMITS.maxFingerprints + 1) }, () => {
    const index = r.u8();
    const length = DIGEST_BYTES[index];
    if (length === undefined) throw new Truncated();
    const digest = bytesHex(r.raw(length)).toUpperCase().match(/../g)!.join(':');
    return { algorithm: ALGORITHMS[index], digest };
  });
  const roleAndFlags = r.u8();
  const mid = r.str8();
  const sctpPort = roleAndFlags & PORT_GIVEN ? r.u16() : COMMON_SCTP_PORT;
  const size = (roleAndFlags >> 2) & 3;
  if (size > MaxMessage.Given || roleAndFlags > 31) throw new Truncated();
  const maxMessageSize = size === MaxMessage.Given ? r.u32() : size === MaxMessage.Common ? COMMON_MAX_MESSAGE : undefined;
  const candidates = Array.from({ length: Math.min(r.u8(), INVITE_LIMITS.maxCandidates + 1) }, () => readCandidate(r));
  return {
    ufrag,
    pwd,
    fingerprints,
    setup: SETUP_ROLES[roleAndFlags & 3],
    mid,
    sctpPort,
    ...(maxMessageSize !== undefined ? { maxMessageSize } : {}),
    candidates,
  };
}

function readCandidate(r: ByteReader): unknown {
  const head = r.u8();
  const type = CANDIDATE_TYPES[head & 3];
  const kind = (head >> 2) as AddressKind;
  let address: string;
  if (kind === AddressKind.Ipv4) address = ipv4Text(r.raw(4));
  else if (kind === AddressKind.Ipv6) address = ipv6Text(r.raw(16));
  else if (kind === AddressKind.Mdns) address = mdnsText(r.raw(16));
  else if (kind === AddressKind.Name) address = r.str8();
  else throw new Truncated();
  return { type, address, port: r.u16() };
}

// RFC 8839: ice-char = ALPHA / DIGIT / "+" / "/"; ufrag 4-256, pwd 22-256 characters.
const IceChars = (min: number) => v.pipe(v.string(), v.regex(/^[A-Za-z0-9+/]+$/), v.minLength(min), v.maxLength(255));
const Port = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535));

const CandidateSchema = v.object({
  type: v.picklist(CANDIDATE_TYPES),
  // Names are only what a resolver could take: letters, digits, dots and dashes.
  address: v.union([v.pipe(v.string(), v.ip()), v.pipe(v.string(), v.regex(/^[A-Za-z0-9.-]{1,253}$/))]),
  port: Port,
});

const EssentialsSchema = v.object({
  ufrag: IceChars(4),
  pwd: IceChars(22),
  fingerprints: v.pipe(
    v.array(v.object({ algorithm: v.picklist(ALGORITHMS), digest: v.pipe(v.string(), v.regex(/^[0-9A-F]{2}(:[0-9A-F]{2})+$/)) })),
    v.minLength(1),
    v.maxLength(INVITE_LIMITS.maxFingerprints),
  ),
  setup: v.picklist(SETUP_ROLES),
  mid: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,32}$/)),
  sctpPort: Port,
  maxMessageSize: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  candidates: v.pipe(v.array(CandidateSchema), v.minLength(1), v.maxLength(INVITE_LIMITS.maxCandidates)),
});

// ---- for people -------------------------------------------------------------------------------

/** What the user is told, by what they were pasting. */
export function describeInviteError(error: InviteError, expected: CodeKind): string {
  const what = expected === 'invite' ? 'invite' : 'reply code';
  switch (error) {
    case 'empty':
      return `Paste the ${what} first.`;
    case 'too-long':
      return `That is too long to be a DIMA ${what} (at most ${INVITE_LIMITS.maxCodeChars} characters).`;
    case 'foreign':
      return `That is not a DIMA ${what}: it should start with ${prefix(expected).slice(0, -1)}.`;
    case 'other-version':
      return `That ${what} comes from another version of DIMA. Both of you need the same version: reload the app and try again.`;
    case 'wrong-kind':
      return expected === 'invite'
        ? 'That is a reply code, not an invite: it goes back to the inviting device, into its "Invite someone" dialog.'
        : 'That is an invite, not a reply code: open it with "Join with an invite" on the device that should join.';
    case 'damaged':
      return `That ${what} is damaged (a character is wrong or missing). Copy it again, whole.`;
    case 'malformed':
      return `That ${what} passes its check but cannot be used. Ask for a new one.`;
    case 'expired':
      return `That invite has expired (invites are valid for ${INVITE_LIMITS.validityMs / 60_000} minutes). Ask for a new one.`;
  }
}
