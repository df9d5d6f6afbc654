// Building and checking the signed IM messages other than chats (crypto.ts seals those): which
// fields each signature covers lives here, next to nothing else.

import type { NodeId } from '../overlay/id.js';
import { bytesToHex, checkChat, publicKeyMatchesUid, sign, textDigest, verify, type Identity, type SealedChat } from './crypto.js';
import type { BuddyNotice, BuddyNoticeKind, ChatMessage, MailAck, MailItem, NotOnline, Presence, PresenceState, Receipt, ResyncRequest, ResyncState } from './wire.js';

export function chatMessage(sealed: SealedChat): ChatMessage {
  return { t: 'im.chat', ...sealed };
}

const receiptFields = (r: Omit<Receipt, 't' | 'sig'>) => ['receipt', r.from, r.to, r.epoch, r.ack];

export function receipt(identity: Identity, to: NodeId, epoch: string, ack: number): Receipt {
  const body = { from: identity.id, to, epoch, ack };
  return { t: 'im.receipt', ...body, sig: sign(identity, receiptFields(body)) };
}

export function receiptIsAuthentic(r: Receipt, localUid: NodeId, senderPublicKey: string): boolean {
  return r.to === localUid && verify(senderPublicKey, receiptFields(r), r.sig);
}

const resyncFields = (r: Omit<ResyncRequest, 't' | 'sig'>) => ['resync', r.from, r.to, r.epoch, r.challenge];

export function resyncRequest(identity: Identity, to: NodeId, epoch: string, challenge: string): ResyncRequest {
  const body = { from: identity.id, to, epoch, challenge };
  return { t: 'im.resync', ...body, sig: sign(identity, resyncFields(body)) };
}

const resyncStateFields = (r: Omit<ResyncState, 't' | 'sig'>) => ['resync state', r.from, r.to, r.epoch, r.challenge, r.shown, r.settled];

export function resyncState(identity: Identity, request: ResyncRequest, shown: number, settled: number): ResyncState {
  const body = { from: identity.id, to: request.from, epoch: request.epoch, challenge: request.challenge, shown, settled };
  return { t: 'im.resyncState', ...body, sig: sign(identity, resyncStateFields(body)) };
}

/** A resync request or its answer, addressed to us and signed by the buddy's key. */
export function resyncIsAuthentic(r: ResyncRequest | ResyncState, localUid: NodeId, senderPublicKey: string): boolean {
  const fields = r.t === 'im.resync' ? resyncFields(r) : resyncStateFields(r);
  return r.to === localUid && verify(senderPublicKey, fields, r.sig);
}

/** The echo of a presence sent before we heard the recipient's session. */
export const NO_SESSION = '0'.repeat(16);

export function notOnline(key: NodeId): NotOnline {
  return { t: 'im.notOnline', key };
}

const presenceFields = (p: Omit<Presence, 't' | 'sig'>) => ['presence', p.from, p.to, p.state, p.session, p.tick, p.echo];

/** `echo`: the recipient's session as we last heard it (NO_SESSION when we have not). */
export function presence(identity: Identity, to: NodeId, state: PresenceState, session: string, tick: number, echo: string): Presence {
  const body = { from: identity.id, to, state, session, tick, echo };
  return { t: 'im.presence', ...body, sig: sign(identity, presenceFields(body)) };
}

export function presenceIsAuthentic(p: Presence, localUid: NodeId, senderPublicKey: string): boolean {
  return p.to === localUid && verify(senderPublicKey, presenceFields(p), p.sig);
}

const noticeFields = (n: Omit<BuddyNotice, 't' | 'sig'>) =>
  ['buddy', n.kind, n.from, n.to, n.publicKey, textDigest(n.name), n.epoch, n.at];

/** `epoch`: our nonce for this relationship (epoch.ts). */
export function buddyNotice(identity: Identity, kind: BuddyNoticeKind, to: NodeId, name: string, epoch: string, at: number): BuddyNotice {
  const body = { kind, from: identity.id, to, publicKey: bytesToHex(identity.publicKey), name, epoch, at };
  return { t: 'im.buddy', ...body, sig: sign(identity, noticeFields(body)) };
}

/** Self-certifying: the key must hash to `from` and sign the notice, so nobody can ask in another's name. */
export function noticeIsAuthentic(n: BuddyNotice, localUid: NodeId): boolean {
  return n.to === localUid && publicKeyMatchesUid(n.from, n.publicKey) && verify(n.publicKey, noticeFields(n), n.sig);
}

// ---- mail for the offline ---------------------------------------------------------------------

/** Names one mail item: its signature covers every field of its body, so it names the body. */
export function mailDigest(item: MailItem): string {
  return textDigest(item.body.sig);
}

/** The item is its signer's (the key hashes to `from`) and signed by it, as sent: any holder can check. */
export function mailItemIsAuthentic(item: MailItem): boolean {
  const { body, publicKey } = item;
  if (!publicKeyMatchesUid(body.from, publicKey)) return false;
  return body.t === 'im.chat' ? checkChat(body.to, publicKey, body) === 'ok' : receiptIsAuthentic(body, body.to, publicKey);
}

const mailAckFields = (a: Omit<MailAck, 't' | 'sig' | 'publicKey'>) => ['mail.ack', a.owner, ...a.digests];

/** The recipient's request to delete these items of its own (digests are hex: no separator inside). */
export function mailAck(identity: Identity, digests: readonly string[]): MailAck {
  const body = { owner: identity.id, digests: [...digests] };
  return { t: 'mail.ack', ...body, publicKey: bytesToHex(identity.publicKey), sig: sign(identity, mailAckFields(body)) };
}

export function mailAckIsAuthentic(a: MailAck): boolean {
  return publicKeyMatchesUid(a.owner, a.publicKey) && verify(a.publicKey, mailAckFields(a), a.sig);
}
