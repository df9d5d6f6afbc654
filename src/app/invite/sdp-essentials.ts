// What of a data-channel SDP an invite has to carry, and a valid SDP rebuilt from it on the other side.
//
// A non-trickle offer or answer for one data channel is ~1 KB of text, most of it boilerplate that
// every browser writes the same way (o=, t=, msid-semantic, the m= line) or that the far side
// ignores (candidate foundations and priorities, generation, network-id). What ICE, DTLS and SCTP
// actually need from the far side (RFC 8839, 8842, 8841): the ICE credentials, the DTLS fingerprint
// and setup role, the media id the answer must echo, the SCTP port and message size, and the
// candidates. Only UDP candidates are kept (browsers' TCP host candidates are passive ones on
// port 9 or need the far side to dial in); loopback ones only when there is nothing else, so a code
// stays short.
//
// The link's authentication binds both fingerprints (transports/link-auth.ts): they are carried
// exactly, in their original order, so both sides compute the same binding.

import { INVITE_LIMITS } from './config.js';

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';
export type SetupRole = 'actpass' | 'active' | 'passive';

export interface Candidate {
  readonly type: CandidateType;
  /** An IPv4 or IPv6 address, or an mDNS name (`<uuid>.local`). */
  readonly address: string;
  readonly port: number;
}

export interface Fingerprint {
  /** Hash function as the SDP names it (sha-256...). */
  readonly algorithm: string;
  /** Upper-case hex pairs joined by ':' as the SDP writes them. */
  readonly digest: string;
}

export interface SdpEssentials {
  readonly ufrag: string;
  readonly pwd: string;
  readonly fingerprints: readonly Fingerprint[];
  readonly setup: SetupRole;
  readonly mid: string;
  readonly sctpPort: number;
  /** Absent: the far side assumes 64 KiB (RFC 8841), which is our frame cap anyway. */
  readonly maxMessageSize?: number;
  readonly candidates: readonly Candidate[];
}

export type EssentialsResult = { readonly ok: true; readonly essentials: SdpEssentials } | { readonly ok: false; readonly reason: string };

/** Picks the essentials out of our own SDP (an offer or answer the browser wrote). */
export function essentialsOf(sdp: string): EssentialsResult {
  const lines = sdp.split(/\r?\n/).map((line) => line.trim());
  const value = (prefix: string) => lines.find((line) => line.startsWith(prefix))?.slice(prefix.length);
  const ufrag = value('a=ice-ufrag:');
  const pwd = value('a=ice-pwd:');
  const setup = value('a=setup:');
  const mid = value('a=mid:');
  const sctpPort = Number(value('a=sctp-port:') ?? 5000);
  const maxMessage = value('a=max-message-size:');
  const fingerprints = lines
    .filter((line) => line.startsWith('a=fingerprint:'))
    .map((line) => line.slice('a=fingerprint:'.length).split(/\s+/))
    .map(([algorithm, digest]) => ({ algorithm: algorithm.toLowerCase(), digest: (digest ?? '').toUpperCase() }));
  if (!ufrag || !pwd || !/^[A-Za-z0-9+/]{1,255}$/.test(ufrag + pwd)) return { ok: false, reason: 'no ICE credentials' };
  if (fingerprints.length === 0) return { ok: false, reason: 'no DTLS fingerprint' };
  if (setup !== 'actpass' && setup !== 'active' && setup !== 'passive') return { ok: false, reason: 'no DTLS setup role' };
  if (mid === undefined) return { ok: false, reason: 'no media id' };
  const all = lines.filter((line) => line.startsWith('a=candidate:')).map(parseCandidate).filter((c): c is Candidate => c !== undefined);
  const outside = all.filter((c) => !isLoopback(c.address));
  const candidates = (outside.length > 0 ? outside : all).slice(0, INVITE_LIMITS.maxCandidates);
  if (candidates.length === 0) return { ok: false, reason: 'no usable ICE candidate' };
  const essentials: SdpEssentials = {
    ufrag,
    pwd,
    fingerprints,
    setup,
    mid,
    sctpPort,
    ...(maxMessage !== undefined ? { maxMessageSize: Number(maxMessage) } : {}),
    candidates,
  };
  return { ok: true, essentials };
}

/** `a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...` */
function parseCandidate(line: string): Candidate | undefined {
  const [, component, transport, , address, port, typ, type] = line.slice('a=candidate:'.length).split(/\s+/);
  if (component !== '1' || transport?.toLowerCase() !== 'udp' || typ !== 'typ') return undefined;
  if (type !== 'host' && type !== 'srflx' && type !== 'prflx' && type !== 'relay') return undefined;
  const portNumber = Number(port);
  if (!address || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) return undefined;
  return { type, address, port: portNumber };
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

/** RFC 8445 type preferences, so the far side tries candidates in the order we listed them. */
const TYPE_PREFERENCE: Record<CandidateType, number> = { host: 126, prflx: 110, srflx: 100, relay: 0 };

/**
 * A complete SDP for one data channel from the essentials: what setRemoteDescription needs and
 * nothing else. Offer and answer look alike (the role is in a=setup); foundations and priorities are
 * made up (they only order the connectivity checks).
 */
export function sdpFrom(e: SdpEssentials): string {
  const first = e.candidates[0];
  const family = (address: string) => (address.includes(':') ? 'IP6' : 'IP4');
  const lines = [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    `a=group:BUNDLE ${e.mid}`,
    'a=msid-semantic: WMS',
    `m=application ${first?.port ?? 9} UDP/DTLS/SCTP webrtc-datachannel`,
    // An mDNS name is not an address: the connection line then names none (as browsers write it).
    first && !first.address.endsWith('.local') ? `c=IN ${family(first.address)} ${first.address}` : 'c=IN IP4 0.0.0.0',
    ...e.candidates.map(
      (c, i) => `a=candidate:${i + 1} 1 udp ${TYPE_PREFERENCE[c.type] * 2 ** 24 + (65535 - i) * 2 ** 8 + 255} ${c.address} ${c.port} typ ${c.type}`,
    ),
    'a=end-of-candidates',
    `a=ice-ufrag:${e.ufrag}`,
    `a=ice-pwd:${e.pwd}`,
    ...e.fingerprints.map((f) => `a=fingerprint:${f.algorithm} ${f.digest}`),
    `a=setup:${e.setup}`,
    `a=mid:${e.mid}`,
    `a=sctp-port:${e.sctpPort}`,
    ...(e.maxMessageSize !== undefined ? [`a=max-message-size:${e.maxMessageSize}`] : []),
  ];
  return lines.join('\r\n') + '\r\n';
}
