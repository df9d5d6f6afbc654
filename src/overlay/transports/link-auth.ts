// Mutual authentication of a fresh data channel (docs/DESIGN.md: "a link is only trusted after the peer
// proves it holds the key").
//
//   both sides, on open:   HELLO { key: public key, nonce: 32 fresh random bytes }
//   on the peer's HELLO:   PROOF { sig: Sign(secret, DOMAIN || peerNonce || signerId || verifierId || binding) }
//   on the peer's PROOF:   verify with the key from its HELLO -> the peer is idFromPublicKey(key)
//
// The peer's nonce makes the proof fresh; both ids in a fixed order make it one-directional (it can't
// be reflected back); `binding` hashes the DTLS fingerprints of the offer and the answer SDP, so a
// proof only holds on the very DTLS session it was made for: whoever relays the signalling (the
// bootstrap, overlay hops) cannot splice itself in as a man in the middle and pass on the proofs.
//
// The data channel is ordered and reliable, so the peer's first two messages are its HELLO and PROOF
// and everything after them is an overlay frame.

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { idFromPublicKey, type NodeId } from '../id.js';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES, verifySignature, type Identity } from '../identity.js';

const LINK_AUTH_DOMAIN = 'dima/link-auth/v1';
export const NONCE_BYTES = 32;

export interface HelloMessage {
  readonly auth: 'hello';
  readonly key: string;
  readonly nonce: string;
}
export interface ProofMessage {
  readonly auth: 'proof';
  readonly sig: string;
}

export type HandshakeStep =
  /** Messages to send now (possibly none). */
  | { readonly kind: 'send'; readonly messages: readonly (HelloMessage | ProofMessage)[] }
  /** The peer proved its key. */
  | { readonly kind: 'authenticated'; readonly peer: NodeId; readonly publicKey: Uint8Array }
  | { readonly kind: 'failed'; readonly reason: string };

/** Hash of the DTLS fingerprints in the offer and answer, in that order (see the header). */
export function channelBinding(offerSdp: string, answerSdp: string): Uint8Array {
  return sha256(utf8ToBytes(`${LINK_AUTH_DOMAIN}\n${fingerprints(offerSdp)}\n${fingerprints(answerSdp)}`));
}

function fingerprints(sdp: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((line) => line.startsWith('a=fingerprint:'))
    .map((line) => line.trim().toLowerCase())
    .sort()
    .join('|');
}

function proofPayload(peerNonce: Uint8Array, signer: NodeId, verifier: NodeId, binding: Uint8Array): Uint8Array {
  return concatBytes(utf8ToBytes(LINK_AUTH_DOMAIN), peerNonce, utf8ToBytes(signer), utf8ToBytes(verifier), binding);
}

/**
 * One side of the handshake as a state machine: feed it the peer's messages, send what it returns.
 * It is pure apart from the signature: the nonce is given, nothing touches the channel.
 */
export class LinkHandshake {
  private started = false;
  private peerHello: { key: Uint8Array; id: NodeId; nonce: Uint8Array } | null = null;
  private done = false;

  constructor(
    private readonly identity: Identity,
    /** The id we dialled, or null (bootstrap, answering an offer from an unknown node). */
    private readonly expectedPeer: NodeId | null,
    private readonly binding: Uint8Array,
    private readonly nonce: Uint8Array,
  ) {
    if (nonce.length !== NONCE_BYTES) throw new Error(`nonce must have ${NONCE_BYTES} bytes`);
  }

  /** Call once the channel is open. The peer's HELLO may already have arrived. */
  start(): HandshakeStep {
    this.started = true;
    const hello: HelloMessage = {
      auth: 'hello',
      key: bytesToHex(this.identity.publicKey),
      nonce: bytesToHex(this.nonce),
    };
    return { kind: 'send', messages: this.peerHello ? [hello, this.proof()] : [hello] };
  }

  receive(message: unknown): HandshakeStep {
    if (this.done) return { kind: 'failed', reason: 'message after the handshake ended' };
    if (this.peerHello === null) return this.receiveHello(message);
    return this.receiveProof(message);
  }

  private receiveHello(message: unknown): HandshakeStep {
    const hello = parseHello(message);
    if (!hello) return this.fail('expected a HELLO');
    const id = idFromPublicKey(hello.key);
    if (id === this.identity.id) return this.fail('peer presented our own key');
    if (this.expectedPeer !== null && id !== this.expectedPeer) {
      return this.fail(`expected peer ${this.expectedPeer}, got ${id}`);
    }
    this.peerHello = { ...hello, id };
    return { kind: 'send', messages: this.started ? [this.proof()] : [] };
  }

  private receiveProof(message: unknown): HandshakeStep {
    const sig = parseProof(message);
    if (!sig) return this.fail('expected a PROOF');
    const peer = this.peerHello!;
    const payload = proofPayload(this.nonce, peer.id, this.identity.id, this.binding);
    if (!verifySignature(peer.key, payload, sig)) return this.fail('bad signature');
    this.done = true;
    return { kind: 'authenticated', peer: peer.id, publicKey: peer.key };
  }

  private proof(): ProofMessage {
    const peer = this.peerHello!;
    const payload = proofPayload(peer.nonce, this.identity.id, peer.id, this.binding);
    return { auth: 'proof', sig: bytesToHex(this.identity.sign(payload)) };
  }

  private fail(reason: string): HandshakeStep {
    this.done = true;
    return { kind: 'failed', reason };
  }
}

const HEX = /^[0-9a-f]*$/;

function hexField(value: unknown, bytes: number): Uint8Array | null {
  if (typeof value !== 'string' || value.length !== 2 * bytes || !HEX.test(value)) return null;
  return hexToBytes(value);
}

function parseHello(message: unknown): { key: Uint8Array; nonce: Uint8Array } | null {
  if (typeof message !== 'object' || message === null) return null;
  const { auth, key, nonce } = message as Record<string, unknown>;
  if (auth !== 'hello') return null;
  const keyBytes = hexField(key, PUBLIC_KEY_BYTES);
  const nonceBytes = hexField(nonce, NONCE_BYTES);
  return keyBytes && nonceBytes ? { key: keyBytes, nonce: nonceBytes } : null;
}

function parseProof(message: unknown): Uint8Array | null {
  if (typeof message !== 'object' || message === null) return null;
  const { auth, sig } = message as Record<string, unknown>;
  return auth === 'proof' ? hexField(sig, SIGNATURE_BYTES) : null;
}
