// Building and checking the signed IM messages other than chats (crypto.ts seals those): which
// fields each signature covers lives here, next to nothing else.

import type { NodeId } from '../overlay/id.js';
import { bytesToHex, publicKeyMatchesUid, sign, textDigest, verify, type Identity, type SealedChat } from './crypto.js';
import type { BuddyNotice, BuddyNoticeKind, ChatMessage, NotOnline, Presence, PresenceState, Receipt } from './wire.js';

export function chatMessage(sealed: SealedChat): ChatMessage {
  return { t: 'im.chat', ...sealed };
}

const receiptFields = (r: Pick<Receipt, 'from' | 'to' | 'ack'>) => ['receipt', r.from, r.to, r.ack];

export function receipt(identity: Identity, to: NodeId, ack: number): Receipt {
  const body = { from: identity.id, to, ack };
  return { t: 'im.receipt', ...body, sig: sign(identity, receiptFields(body)) };
}

export function receiptIsAuthentic(r: Receipt, localUid: NodeId, senderPublicKey: string): boolean {
  return r.to === localUid && verify(senderPublicKey, receiptFields(r), r.sig);
}

export function notOnline(key: NodeId): NotOnline {
  return { t: 'im.notOnline', key };
}

const presenceFields = (p: Omit<Presence, 't' | 'sig'>) => ['presence', p.from, p.to, p.state, p.session, p.tick];

export function presence(identity: Identity, to: NodeId, state: PresenceState, session: string, tick: number): Presence {
  const body = { from: identity.id, to, state, session, tick };
  return { t: 'im.presence', ...body, sig: sign(identity, presenceFields(body)) };
}

export function presenceIsAuthentic(p: Presence, localUid: NodeId, senderPublicKey: string): boolean {
  return p.to === localUid && verify(senderPublicKey, presenceFields(p), p.sig);
}

const noticeFields = (n: Omit<BuddyNotice, 't' | 'sig'>) =>
  ['buddy', n.kind, n.from, n.to, n.publicKey, textDigest(n.name), n.at];

export function buddyNotice(identity: Identity, kind: BuddyNoticeKind, to: NodeId, name: string, at: number): BuddyNotice {
  const body = { kind, from: identity.id, to, publicKey: bytesToHex(identity.publicKey), name, at };
  return { t: 'im.buddy', ...body, sig: sign(identity, noticeFields(body)) };
}

/** Self-certifying: the key must hash to `from` and sign the notice, so nobody can ask in another's name. */
export function noticeIsAuthentic(n: BuddyNotice, localUid: NodeId): boolean {
  return n.to === localUid && publicKeyMatchesUid(n.from, n.publicKey) && verify(n.publicKey, noticeFields(n), n.sig);
}
