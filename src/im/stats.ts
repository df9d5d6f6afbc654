// Counters of what the IM layer dropped or rejected, and why (STYLE: bad input is dropped and
// counted, never thrown into the node). Labels are a fixed, typed set (STYLE 9): a label may name
// one of our own message types or reasons, never a value a peer chose; the one number a peer does
// choose, a chat's hop count, goes into bounded buckets.

import type { OpenResult } from './crypto.js';
import type { PutOutcome } from './mail-store.js';
import type { ImMessage } from './wire.js';

type MessageType = ImMessage['t'];
type OpenFailure = Extract<OpenResult, { ok: false }>['reason'];

/** Why a chat's direct link was let go. */
export type DirectCloseReason = 'lost' | 'not eligible' | 'idle' | 'disabled' | 'stopped' | 'offline';

export type ImCounter =
  | 'malformed'
  | 'malformed answer'
  | 'answered not online'
  | `unexpected ${MessageType}`
  | `unexpected answer ${MessageType}`
  | `failed handling ${MessageType}`
  | 'failed storing notice'
  | 'buddy notice rejected'
  | 'buddy request refused: too many waiting'
  | `${'im.chat' | 'im.receipt' | 'im.presence' | 'im.buddy' | 'im.resync' | 'im.resyncState'} over verify budget`
  | 'presence unproven'
  | 'presence from a non-buddy'
  | 'presence rejected'
  | 'presence replayed'
  | 'chat from a non-buddy'
  | `chat rejected: ${OpenFailure}`
  | 'chat rejected: other conversation'
  | 'receipt rejected: other conversation'
  | 'receipt from a non-buddy'
  | 'receipt rejected'
  | ResyncCounter
  | 'overlay refused request'
  | 'overlay refused route'
  | 'request timed out'
  | `${MessageType} sent direct`
  | `${MessageType} routed`
  | 'direct link opened'
  | 'direct link failed'
  | `direct link closed: ${DirectCloseReason}`
  | MailCounter;

/** Counters behind a restored backup (resync.ts). */
type ResyncCounter =
  | 'resync asked'
  | 'resync from a non-buddy'
  | 'resync rejected: other conversation'
  | 'resync rejected'
  | 'resync state unasked'
  | 'resync jump refused'
  | 'resync skipped shown messages'
  | 'resync moved send seq';

/** The mailbox (mailbox.ts: the storing role; mail-client.ts: sender and recipient). */
type MailCounter =
  | `mail ${PutOutcome}`
  | 'mail rejected: wrong key'
  | 'mail rejected: not a holder'
  | 'mail rejected: bad signature'
  | 'mail copy rejected: not entitled'
  | 'mail over verify budget'
  | 'mail ack rejected'
  | 'mail deleted by ack'
  | 'mail expired'
  | 'mail passed on: no longer a holder'
  | 'mail passed on: leaving'
  | 'mail handed over'
  | 'mail copies sent'
  | 'mail copies unsent: no link'
  | 'mail for a node without messenger'
  | 'mail posted'
  | 'mail taken by a holder'
  | 'mail received'
  | 'mail received before loading'
  | 'mail not for us'
  | 'mail acknowledged';

/** Chats received are counted by hops 0 .. HOP_BUCKETS - 1, and one open bucket for more. */
export const HOP_BUCKETS = 8;

export class ImStats {
  private readonly counts = new Map<ImCounter, number>();
  private readonly chatHops: number[] = new Array<number>(HOP_BUCKETS + 1).fill(0);

  count(counter: ImCounter): void {
    this.counts.set(counter, (this.counts.get(counter) ?? 0) + 1);
  }

  get(counter: ImCounter): number {
    return this.counts.get(counter) ?? 0;
  }

  /** A chat for us arrived after `hops` overlay hops (the sender's frame says how many). */
  chatReceived(hops: number): void {
    const bucket = Number.isFinite(hops) ? Math.min(Math.max(0, Math.floor(hops)), HOP_BUCKETS) : HOP_BUCKETS;
    this.chatHops[bucket]++;
  }

  /** Chats received by hops: index = hops, the last entry counts HOP_BUCKETS hops or more. */
  chatsByHops(): readonly number[] {
    return this.chatHops;
  }

  /**
   * Every counter that is not zero, hop buckets as "im.chat received over N hops" (the last
   * "over N+ hops"): the labels window.__dima.imStats() shows and the im bench reads.
   */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = Object.fromEntries(this.counts);
    this.chatHops.forEach((n, hops) => {
      if (n > 0) out[`im.chat received over ${hops}${hops === HOP_BUCKETS ? '+' : ''} hops`] = n;
    });
    return out;
  }
}
